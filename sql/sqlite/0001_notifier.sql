-- regnotify's own tables. They never reference Quay's tables with foreign keys, so that Quay can
-- delete its rows without knowing about regnotify.

-- Every delivery attempt and every decision taken about a queued delivery.
CREATE TABLE notifier_delivery_log (
    id INTEGER NOT NULL PRIMARY KEY,
    attempted_at_ms BIGINT NOT NULL,
    queueitem_id BIGINT,
    notification_uuid VARCHAR(255),
    event VARCHAR(255) NOT NULL,
    method VARCHAR(255) NOT NULL,
    attempt INTEGER NOT NULL,
    outcome VARCHAR(32) NOT NULL,
    http_status INTEGER,
    latency_ms BIGINT,
    error TEXT
);
CREATE INDEX notifier_delivery_log_notification
    ON notifier_delivery_log (notification_uuid, attempted_at_ms);

-- Queue items held back because their notification is disabled; released when it is reset.
CREATE TABLE notifier_parked_delivery (
    queueitem_id BIGINT NOT NULL PRIMARY KEY,
    notification_id BIGINT NOT NULL,
    parked_at_ms BIGINT NOT NULL
);
CREATE INDEX notifier_parked_delivery_notification
    ON notifier_parked_delivery (notification_id);
