-- The comms subgraph's tables (the seed's communication-service). Ids are
-- ULIDs; contact_id, company_id, deal_id, owner_id, assigned_to and
-- created_by are ids of other domains' records, kept as text without foreign
-- keys: those records live in other subgraphs' tables.

-- The timeline. occurred_at places an activity on it: completed_at, else
-- scheduled_at, else created_at. Each timeline is read newest first and
-- keyset-paginated on (occurred_at, id).
CREATE TABLE activities (
    id               text PRIMARY KEY,
    type             varchar(20)  NOT NULL CHECK (type IN ('email', 'call', 'meeting', 'note', 'task')),
    subject          varchar(255) NOT NULL,
    description      text,
    status           varchar(20)  NOT NULL DEFAULT 'completed' CHECK (status IN ('scheduled', 'completed', 'cancelled')),
    direction        varchar(10)  CHECK (direction IN ('inbound', 'outbound')),
    duration_minutes integer      CHECK (duration_minutes >= 0),
    scheduled_at     timestamptz,
    completed_at     timestamptz,
    occurred_at      timestamptz  NOT NULL,
    contact_id       text,
    company_id       text,
    deal_id          text,
    owner_id         text,
    custom_fields    jsonb        NOT NULL DEFAULT '{}',
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    created_by       text
);

CREATE INDEX activities_timeline ON activities (occurred_at DESC, id DESC);
CREATE INDEX activities_contact_timeline ON activities (contact_id, occurred_at DESC, id DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX activities_company_timeline ON activities (company_id, occurred_at DESC, id DESC) WHERE company_id IS NOT NULL;
CREATE INDEX activities_deal_timeline ON activities (deal_id, occurred_at DESC, id DESC) WHERE deal_id IS NOT NULL;
CREATE INDEX activities_owner_timeline ON activities (owner_id, occurred_at DESC, id DESC) WHERE owner_id IS NOT NULL;

-- Tasks, listed newest first (by id: ULIDs sort by creation). A reminder
-- fires once: reminded_at is set by the scheduler that fired it.
CREATE TABLE tasks (
    id           text PRIMARY KEY,
    title        varchar(255) NOT NULL,
    description  text,
    type         varchar(20)  NOT NULL DEFAULT 'task' CHECK (type IN ('task', 'reminder', 'follow_up')),
    status       varchar(20)  NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'in_progress', 'completed')),
    priority     varchar(10)  NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    due_date     timestamptz,
    reminder_at  timestamptz,
    reminded_at  timestamptz,
    contact_id   text,
    company_id   text,
    deal_id      text,
    assigned_to  text,
    completed_at timestamptz,
    custom_fields jsonb       NOT NULL DEFAULT '{}',
    created_at   timestamptz  NOT NULL DEFAULT now(),
    updated_at   timestamptz  NOT NULL DEFAULT now(),
    created_by   text
);

CREATE INDEX tasks_contact ON tasks (contact_id, id DESC) WHERE contact_id IS NOT NULL;
CREATE INDEX tasks_company ON tasks (company_id, id DESC) WHERE company_id IS NOT NULL;
CREATE INDEX tasks_deal ON tasks (deal_id, id DESC) WHERE deal_id IS NOT NULL;
CREATE INDEX tasks_assignee ON tasks (assigned_to, id DESC) WHERE assigned_to IS NOT NULL;
CREATE INDEX tasks_reminders_due ON tasks (reminder_at)
    WHERE reminder_at IS NOT NULL AND reminded_at IS NULL AND status <> 'completed';

-- E-mail templates. variables is the declared list:
-- [{"name": "first_name", "required": true, "default": null}, ...].
CREATE TABLE email_templates (
    id         text PRIMARY KEY,
    name       varchar(255) NOT NULL,
    subject    varchar(255) NOT NULL,
    body_html  text         NOT NULL,
    body_text  text,
    category   varchar(100),
    variables  jsonb        NOT NULL DEFAULT '[]',
    is_active  boolean      NOT NULL DEFAULT true,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now(),
    created_by text
);

CREATE UNIQUE INDEX email_templates_name ON email_templates (lower(name));

-- Every e-mail the tenant sends (the seed's email_tracking), and the outgoing
-- queue: a row with next_attempt_at set is waiting for delivery; senders
-- claim due rows with FOR UPDATE SKIP LOCKED. Platform messages (kind other
-- than 'crm') carry tokens: their bodies are blanked once delivered.
CREATE TABLE email_messages (
    id              text PRIMARY KEY,
    message_id      varchar(255) NOT NULL UNIQUE,
    kind            varchar(30)  NOT NULL DEFAULT 'crm',
    activity_id     text REFERENCES activities (id) ON DELETE SET NULL,
    template_id     text REFERENCES email_templates (id) ON DELETE SET NULL,
    contact_id      text,
    deal_id         text,
    email_address   varchar(254) NOT NULL,
    subject         text         NOT NULL,
    body_html       text         NOT NULL,
    body_text       text         NOT NULL,
    status          varchar(20)  NOT NULL DEFAULT 'queued'
                    CHECK (status IN ('queued', 'sent', 'delivered', 'opened', 'clicked', 'bounced', 'failed')),
    attempts        integer      NOT NULL DEFAULT 0,
    next_attempt_at timestamptz,
    last_error      text,
    sent_at         timestamptz,
    delivered_at    timestamptz,
    opened_at       timestamptz,
    clicked_at      timestamptz,
    bounced_at      timestamptz,
    open_count      integer      NOT NULL DEFAULT 0,
    click_count     integer      NOT NULL DEFAULT 0,
    created_at      timestamptz  NOT NULL DEFAULT now(),
    created_by      text
);

CREATE INDEX email_messages_queue ON email_messages (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX email_messages_activity ON email_messages (activity_id);

-- What comms last heard of other domains' contacts, deals and users, from their
-- events: a contact's address and names for sendEmail, a deal's title, a
-- user's address for task reminders.
CREATE TABLE known_records (
    id         text PRIMARY KEY,
    kind       varchar(10)  NOT NULL CHECK (kind IN ('contact', 'deal', 'user')),
    email      varchar(254),
    first_name varchar(100),
    last_name  varchar(100),
    title      varchar(255),
    owner_id   text,
    deleted    boolean      NOT NULL DEFAULT false,
    updated_at timestamptz  NOT NULL DEFAULT now()
);
