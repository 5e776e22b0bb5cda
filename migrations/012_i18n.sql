-- Each user's own language and time zone. NULL follows the platform's defaults
-- (DEFAULT_LOCALE after the browser's Accept-Language; DEFAULT_TIME_ZONE).
ALTER TABLE users
  ADD COLUMN locale VARCHAR(16) NULL,
  ADD COLUMN time_zone VARCHAR(64) NULL;
