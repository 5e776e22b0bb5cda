-- Each user's own language and time zone. NULL follows the platform's defaults
-- (DEFAULT_LOCALE after the browser's Accept-Language; DEFAULT_TIME_ZONE).
ALTER TABLE users
  ADD COLUMN locale VARCHAR(16) NULL,
  ADD COLUMN time_zone VARCHAR(64) NULL;

-- The encoding an uploaded price list was read in (UTF-8, UTF-8 (BOM), GB18030, ...); NULL for pasted text.
ALTER TABLE price_imports ADD COLUMN source_encoding VARCHAR(16) NULL;
