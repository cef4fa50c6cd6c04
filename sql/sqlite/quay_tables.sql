-- The subset of Quay's tables that regnotify reads and writes, with Quay's names, column types
-- and indexes. Each `-- table:` block runs only when that table is absent, so a database that
-- Quay built keeps its own definitions untouched.

-- table: externalnotificationevent
CREATE TABLE externalnotificationevent (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX externalnotificationevent_name ON externalnotificationevent (name);

-- table: externalnotificationmethod
CREATE TABLE externalnotificationmethod (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX externalnotificationmethod_name ON externalnotificationmethod (name);

-- table: notificationkind
CREATE TABLE notificationkind (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX notificationkind_name ON notificationkind (name);

-- table: role
CREATE TABLE role (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX role_name ON role (name);

-- table: teamrole
CREATE TABLE teamrole (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE INDEX teamrole_name ON teamrole (name);

-- table: visibility
CREATE TABLE visibility (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX visibility_name ON visibility (name);

-- table: repositorykind
CREATE TABLE repositorykind (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX repositorykind_name ON repositorykind (name);

-- table: tagkind
CREATE TABLE tagkind (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL
);
CREATE UNIQUE INDEX tagkind_name ON tagkind (name);

-- table: queueitem
CREATE TABLE queueitem (
    id INTEGER NOT NULL PRIMARY KEY,
    queue_name VARCHAR(1024) NOT NULL,
    body TEXT NOT NULL,
    available_after DATETIME NOT NULL,
    available BOOLEAN NOT NULL,
    processing_expires DATETIME,
    retries_remaining INTEGER NOT NULL,
    state_id VARCHAR(255) DEFAULT '' NOT NULL
);
CREATE INDEX queueitem_queue_name ON queueitem (queue_name);
CREATE INDEX queueitem_processing_expires_available ON queueitem (processing_expires, available);
CREATE INDEX queueitem_pe_aafter_qname_rremaining_available
    ON queueitem (processing_expires, available_after, queue_name, retries_remaining, available);
CREATE INDEX queueitem_pexpires_aafter_rremaining_available
    ON queueitem (processing_expires, available_after, retries_remaining, available);
CREATE INDEX queueitem_processing_expires_queue_name_available
    ON queueitem (processing_expires, queue_name, available);
CREATE UNIQUE INDEX queueitem_state_id ON queueitem (state_id);

-- table: user
CREATE TABLE "user" (
    id INTEGER NOT NULL PRIMARY KEY,
    uuid VARCHAR(36),
    username VARCHAR(255) NOT NULL,
    password_hash VARCHAR(255),
    email VARCHAR(255) NOT NULL,
    verified BOOLEAN NOT NULL,
    stripe_id VARCHAR(255),
    organization BOOLEAN NOT NULL,
    robot BOOLEAN NOT NULL,
    invoice_email BOOLEAN NOT NULL,
    invalid_login_attempts INTEGER DEFAULT '0' NOT NULL,
    last_invalid_login DATETIME NOT NULL,
    removed_tag_expiration_s BIGINT DEFAULT '1209600' NOT NULL,
    enabled BOOLEAN DEFAULT 1 NOT NULL,
    invoice_email_address VARCHAR(255),
    company VARCHAR(255),
    family_name VARCHAR(255),
    given_name VARCHAR(255),
    location VARCHAR(255),
    maximum_queued_builds_count INTEGER,
    creation_date DATETIME,
    last_accessed DATETIME
);
CREATE UNIQUE INDEX user_username ON "user" (username);
CREATE INDEX user_organization ON "user" (organization);
CREATE INDEX user_robot ON "user" (robot);
CREATE INDEX user_uuid ON "user" (uuid);
CREATE INDEX user_email_idx ON "user" (email);

-- table: team
CREATE TABLE team (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES "user" (id),
    role_id INTEGER NOT NULL REFERENCES teamrole (id),
    description TEXT NOT NULL
);
CREATE INDEX team_name ON team (name);
CREATE UNIQUE INDEX team_name_organization_id ON team (name, organization_id);
CREATE INDEX team_organization_id ON team (organization_id);
CREATE INDEX team_role_id ON team (role_id);

-- table: teammember
CREATE TABLE teammember (
    id INTEGER NOT NULL PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES "user" (id),
    team_id INTEGER NOT NULL REFERENCES team (id)
);
CREATE INDEX teammember_team_id ON teammember (team_id);
CREATE INDEX teammember_user_id ON teammember (user_id);
CREATE UNIQUE INDEX teammember_user_id_team_id ON teammember (user_id, team_id);

-- table: repository
CREATE TABLE repository (
    id INTEGER NOT NULL PRIMARY KEY,
    namespace_user_id INTEGER REFERENCES "user" (id),
    name VARCHAR(255) NOT NULL,
    visibility_id INTEGER NOT NULL REFERENCES visibility (id),
    description TEXT,
    badge_token VARCHAR(255) NOT NULL,
    kind_id INTEGER DEFAULT '1' NOT NULL REFERENCES repositorykind (id),
    trust_enabled BOOLEAN DEFAULT (0) NOT NULL,
    state INTEGER DEFAULT '0' NOT NULL
);
CREATE UNIQUE INDEX repository_namespace_user_id_name ON repository (namespace_user_id, name);
CREATE INDEX repository_namespace_user_id ON repository (namespace_user_id);
CREATE INDEX repository_visibility_id ON repository (visibility_id);
CREATE INDEX repository_kind_id ON repository (kind_id);
CREATE INDEX repository_state ON repository (state);

-- table: repositorypermission
CREATE TABLE repositorypermission (
    id INTEGER NOT NULL PRIMARY KEY,
    team_id INTEGER REFERENCES team (id),
    user_id INTEGER REFERENCES "user" (id),
    repository_id INTEGER NOT NULL REFERENCES repository (id),
    role_id INTEGER NOT NULL REFERENCES role (id)
);
CREATE INDEX repositorypermission_repository_id ON repositorypermission (repository_id);
CREATE INDEX repositorypermission_role_id ON repositorypermission (role_id);
CREATE INDEX repositorypermission_team_id ON repositorypermission (team_id);
CREATE UNIQUE INDEX repositorypermission_team_id_repository_id
    ON repositorypermission (team_id, repository_id);
CREATE INDEX repositorypermission_user_id ON repositorypermission (user_id);
CREATE UNIQUE INDEX repositorypermission_user_id_repository_id
    ON repositorypermission (user_id, repository_id);

-- table: tag
CREATE TABLE tag (
    id INTEGER NOT NULL PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    repository_id INTEGER NOT NULL REFERENCES repository (id),
    manifest_id INTEGER,
    lifetime_start_ms BIGINT NOT NULL,
    lifetime_end_ms BIGINT,
    hidden BOOLEAN DEFAULT (0) NOT NULL,
    reversion BOOLEAN DEFAULT (0) NOT NULL,
    tag_kind_id INTEGER NOT NULL REFERENCES tagkind (id),
    linked_tag_id INTEGER REFERENCES tag (id),
    immutable BOOLEAN DEFAULT (0) NOT NULL
);
CREATE INDEX tag_lifetime_end_ms ON tag (lifetime_end_ms);
CREATE INDEX tag_linked_tag_id ON tag (linked_tag_id);
CREATE INDEX tag_manifest_id ON tag (manifest_id);
CREATE INDEX tag_repository_id ON tag (repository_id);
CREATE INDEX tag_repository_id_name ON tag (repository_id, name);
CREATE INDEX tag_repository_id_name_hidden ON tag (repository_id, name, hidden);
CREATE UNIQUE INDEX tag_repository_id_name_lifetime_end_ms
    ON tag (repository_id, name, lifetime_end_ms);
CREATE INDEX tag_repository_id_name_tag_kind_id ON tag (repository_id, name, tag_kind_id);
CREATE INDEX tag_tag_kind_id ON tag (tag_kind_id);
CREATE INDEX tag_repository_id_lifetime_end_ms ON tag (repository_id, lifetime_end_ms);
CREATE INDEX tag_repository_id_lifetime_start_ms ON tag (repository_id, lifetime_start_ms);
CREATE INDEX tag_repository_id_immutable ON tag (repository_id, immutable);
CREATE INDEX tag_manifest_id_immutable ON tag (manifest_id, immutable);
CREATE INDEX tag_manifest_id_lifetime_end_ms ON tag (manifest_id, lifetime_end_ms);

-- table: repositorynotification
CREATE TABLE repositorynotification (
    id INTEGER NOT NULL PRIMARY KEY,
    uuid VARCHAR(255) NOT NULL,
    repository_id INTEGER NOT NULL REFERENCES repository (id),
    event_id INTEGER NOT NULL REFERENCES externalnotificationevent (id),
    method_id INTEGER NOT NULL REFERENCES externalnotificationmethod (id),
    title VARCHAR(255),
    config_json TEXT NOT NULL,
    event_config_json TEXT NOT NULL,
    number_of_failures INTEGER DEFAULT '0' NOT NULL,
    last_ran_ms BIGINT
);
CREATE INDEX repositorynotification_event_id ON repositorynotification (event_id);
CREATE INDEX repositorynotification_method_id ON repositorynotification (method_id);
CREATE INDEX repositorynotification_repository_id ON repositorynotification (repository_id);
CREATE INDEX repositorynotification_uuid ON repositorynotification (uuid);
CREATE INDEX repositorynotification_last_ran_ms ON repositorynotification (last_ran_ms);

-- table: notification
CREATE TABLE notification (
    id INTEGER NOT NULL PRIMARY KEY,
    uuid VARCHAR(255) NOT NULL,
    kind_id INTEGER NOT NULL REFERENCES notificationkind (id),
    target_id INTEGER NOT NULL REFERENCES "user" (id),
    metadata_json TEXT NOT NULL,
    created DATETIME NOT NULL,
    dismissed BOOLEAN NOT NULL,
    lookup_path VARCHAR(255)
);
CREATE INDEX notification_created ON notification (created);
CREATE INDEX notification_kind_id ON notification (kind_id);
CREATE INDEX notification_lookup_path ON notification (lookup_path);
CREATE INDEX notification_target_id ON notification (target_id);
CREATE INDEX notification_uuid ON notification (uuid);

-- table: repositoryauthorizedemail
CREATE TABLE repositoryauthorizedemail (
    id INTEGER NOT NULL PRIMARY KEY,
    repository_id INTEGER NOT NULL REFERENCES repository (id),
    email VARCHAR(255) NOT NULL,
    code VARCHAR(255) NOT NULL,
    confirmed BOOLEAN NOT NULL
);
CREATE UNIQUE INDEX repositoryauthorizedemail_code ON repositoryauthorizedemail (code);
CREATE UNIQUE INDEX repositoryauthorizedemail_email_repository_id
    ON repositoryauthorizedemail (email, repository_id);
CREATE INDEX repositoryauthorizedemail_repository_id ON repositoryauthorizedemail (repository_id);

-- table: tagnotificationsuccess
CREATE TABLE tagnotificationsuccess (
    id INTEGER NOT NULL PRIMARY KEY,
    notification_id INTEGER NOT NULL REFERENCES repositorynotification (id),
    tag_id INTEGER NOT NULL REFERENCES tag (id),
    method_id INTEGER NOT NULL REFERENCES externalnotificationmethod (id)
);
CREATE INDEX tagnotificationsuccess_notification_id ON tagnotificationsuccess (notification_id);
CREATE INDEX tagnotificationsuccess_tag_id ON tagnotificationsuccess (tag_id);

-- table: namespaceautoprunepolicy
CREATE TABLE namespaceautoprunepolicy (
    id INTEGER NOT NULL PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    namespace_id INTEGER NOT NULL REFERENCES "user" (id),
    policy TEXT NOT NULL
);
CREATE UNIQUE INDEX namespaceautoprunepolicy_uuid ON namespaceautoprunepolicy (uuid);
CREATE INDEX namespaceautoprunepolicy_namespace_id ON namespaceautoprunepolicy (namespace_id);

-- table: repositoryautoprunepolicy
CREATE TABLE repositoryautoprunepolicy (
    id INTEGER NOT NULL PRIMARY KEY,
    uuid VARCHAR(36) NOT NULL,
    repository_id INTEGER NOT NULL REFERENCES repository (id),
    namespace_id INTEGER NOT NULL REFERENCES "user" (id),
    policy TEXT NOT NULL
);
CREATE UNIQUE INDEX repositoryautoprunepolicy_uuid ON repositoryautoprunepolicy (uuid);
CREATE INDEX repositoryautoprunepolicy_namespace_id ON repositoryautoprunepolicy (namespace_id);
CREATE INDEX repositoryautoprunepolicy_repository_id ON repositoryautoprunepolicy (repository_id);
