-- The history of CSV imports: who confirmed each, and what it did (prices changed now, changes
-- scheduled for later, labels its task updates), for the import page's list.
ALTER TABLE price_imports
  ADD COLUMN applied_by VARCHAR(128) NULL,
  ADD COLUMN applied_count INT UNSIGNED NULL,
  ADD COLUMN scheduled_count INT UNSIGNED NULL,
  ADD COLUMN label_count INT UNSIGNED NULL,
  ADD KEY ix_price_imports_state_created (state, created_at);
