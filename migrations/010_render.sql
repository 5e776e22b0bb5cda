-- Label rendering: label models, templates and where they apply, the label's model,
-- the product facts a label prints, rendered images by content key, and per task item
-- the image the worker rendered for it.
CREATE TABLE label_models (
  code VARCHAR(32) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  name VARCHAR(128) NOT NULL,
  width_px SMALLINT UNSIGNED NOT NULL,
  height_px SMALLINT UNSIGNED NOT NULL,
  colours VARCHAR(8) NOT NULL,
  pages TINYINT UNSIGNED NOT NULL DEFAULT 1,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  CONSTRAINT chk_label_models_colours CHECK (colours IN ('bw', 'bwr', 'bwy')),
  CONSTRAINT chk_label_models_size CHECK (width_px BETWEEN 16 AND 2000 AND height_px BETWEEN 16 AND 2000),
  CONSTRAINT chk_label_models_pages CHECK (pages BETWEEN 1 AND 8)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO label_models (code, name, width_px, height_px, colours, pages) VALUES
  ('bwr-290', '2.9" black/white/red', 296, 128, 'bwr', 1),
  ('bw-213', '2.13" black/white', 250, 122, 'bw', 1),
  ('bwy-420', '4.2" black/white/yellow, 2 pages', 400, 300, 'bwy', 2);

-- Existing labels get the default model.
ALTER TABLE labels
  ADD COLUMN model_code VARCHAR(32) COLLATE utf8mb4_bin NOT NULL DEFAULT 'bwr-290',
  ADD CONSTRAINT fk_labels_model FOREIGN KEY (model_code) REFERENCES label_models (code);

-- What a label prints besides name and price.
ALTER TABLE products
  ADD COLUMN name_latin VARCHAR(200) NULL,
  ADD COLUMN category VARCHAR(64) NULL,
  ADD COLUMN net_quantity DECIMAL(12, 3) NULL,
  ADD COLUMN net_unit VARCHAR(8) NULL,
  ADD COLUMN origin VARCHAR(64) NULL,
  ADD COLUMN spec VARCHAR(128) NULL;

-- A template: JSON of positioned elements for one model (validated by the application).
CREATE TABLE label_templates (
  id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  model_code VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
  name VARCHAR(128) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  version INT UNSIGNED NOT NULL DEFAULT 1,
  updated_by VARCHAR(128) NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  UNIQUE KEY uq_label_templates_name (model_code, name),
  CONSTRAINT fk_label_templates_model FOREIGN KEY (model_code) REFERENCES label_models (code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Which template a model's labels use: store_id 0 = every store, category '' = every category.
-- The most specific row wins (store and category, store, category, default); none = built-in.
CREATE TABLE label_template_assignments (
  model_code VARCHAR(32) COLLATE utf8mb4_bin NOT NULL,
  store_id INT UNSIGNED NOT NULL DEFAULT 0,
  category VARCHAR(64) NOT NULL DEFAULT '',
  template_id INT UNSIGNED NOT NULL,
  updated_by VARCHAR(128) NOT NULL,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  PRIMARY KEY (model_code, store_id, category),
  KEY ix_template_assignments_template (template_id),
  CONSTRAINT fk_template_assignments_model FOREIGN KEY (model_code) REFERENCES label_models (code),
  CONSTRAINT fk_template_assignments_template FOREIGN KEY (template_id) REFERENCES label_templates (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Rendered images. content_key = SHA-256 of everything that goes into the image (renderer
-- version, model, template, page, field values); image_hash = SHA-256 of the PNG bytes.
CREATE TABLE label_images (
  content_key CHAR(64) NOT NULL PRIMARY KEY,
  image_hash CHAR(64) NOT NULL,
  width_px SMALLINT UNSIGNED NOT NULL,
  height_px SMALLINT UNSIGNED NOT NULL,
  png MEDIUMBLOB NOT NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_label_images_hash (image_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The worker renders each task's items in batches; progress per task, result per item.
CREATE TABLE render_task_progress (
  task_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  state VARCHAR(16) NOT NULL DEFAULT 'pending',
  last_item_id BIGINT UNSIGNED NOT NULL DEFAULT 0,
  rendered INT UNSIGNED NOT NULL DEFAULT 0,
  failed INT UNSIGNED NOT NULL DEFAULT 0,
  updated_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
  KEY ix_render_task_progress_state (state, task_id),
  CONSTRAINT chk_render_task_progress_state CHECK (state IN ('pending', 'done', 'skipped'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE task_item_images (
  item_id BIGINT UNSIGNED NOT NULL PRIMARY KEY,
  task_id BIGINT UNSIGNED NOT NULL,
  content_key CHAR(64) NULL,
  image_hash CHAR(64) NULL,
  error VARCHAR(500) NULL,
  created_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
  KEY ix_task_item_images_task (task_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- What an AP declared it can show besides fields (JSON array, e.g. ["image/png"]).
ALTER TABLE aps ADD COLUMN caps VARCHAR(255) NULL;
