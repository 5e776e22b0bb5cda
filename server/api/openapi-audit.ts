// The audit API's part of the document (/api/v1/audit...), and the alerts list: queries and
// answers from server/audit/audit-api-schemas.ts and server/alerts/alerts-api-schemas.ts.
import {
  AuditEvidence,
  AuditEvidenceQuery,
  AuditListQuery,
  AuditPage,
  AuditRecordJson,
} from '../audit/audit-api-schemas.js';
import { Alert, AlertListQuery, AlertPage } from '../alerts/alerts-api-schemas.js';
import { errors, json, queryParams } from './openapi-common.js';

export const auditSchemas = { AuditRecord: AuditRecordJson, AuditPage, AuditEvidence, Alert, AlertPage };

const unavailable = json('Error', 'SLS could not be queried; `source=local` answers from MySQL');

export const auditPaths = {
  '/api/v1/alerts': {
    get: {
      operationId: 'listAlerts',
      tags: ['devices'],
      summary: 'Alerts (thresholds crossed), newest first (scope tasks:read)',
      parameters: queryParams(AlertListQuery),
      responses: { 200: json('AlertPage', 'A page of alerts'), ...errors },
    },
  },
  '/api/v1/audit': {
    get: {
      operationId: 'listAuditRecords',
      tags: ['audit'],
      summary: "The audit trail, newest first, with the auditor page's filters (scope audit:read)",
      description:
        'Every text filter matches whole words in order, case-insensitively, in SLS and in MySQL alike; object filters (task, sku, store, label, ap) match a record naming the object in its refs or being it.',
      parameters: queryParams(AuditListQuery),
      responses: { 200: json('AuditPage', 'A page of records'), 503: unavailable, ...errors },
    },
  },
  '/api/v1/audit/evidence': {
    get: {
      operationId: 'getAuditEvidence',
      tags: ['audit'],
      summary:
        'Who changed SKU X in store Y, when, through which task, and which labels confirmed it: one query of the trail (scope audit:read)',
      description:
        'Reads the records naming both the SKU and the store, newest first (`limit` records per page): the changes (prices, bindings, product edits) with their task, and the confirmation and failure records of that task listing the labels of this SKU in this store.',
      parameters: queryParams(AuditEvidenceQuery),
      responses: { 200: json('AuditEvidence', 'The evidence'), 503: unavailable, ...errors },
    },
  },
};
