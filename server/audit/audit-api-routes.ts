// /api/v1/audit: the audit trail for API keys with the audit:read scope (and signed-in auditors
// and admins). The guard comes from the composition root (the auth domain owns scopes).
import type { RequestHandler, Router } from 'express';
import { parseList } from '../core/list-page.js';
import { AuditEvidenceQuery, AuditListQuery } from './audit-api-schemas.js';
import type { AuditApiService } from './audit-api-service.js';

export function auditApiRoutes(svc: AuditApiService, guard: RequestHandler) {
  return (app: Router) => {
    app.get('/api/v1/audit', guard, async (req, res) => {
      res.json(await svc.list(parseList(AuditListQuery, req.query), req.actor));
    });
    app.get('/api/v1/audit/evidence', guard, async (req, res) => {
      res.json(await svc.evidence(parseList(AuditEvidenceQuery, req.query), req.actor));
    });
  };
}
