-- Pipelines, their stages, deals, the contacts of a deal and the history of
-- its stages (the seed's deal-service tables, with pipelines made data).
-- Ids are ULIDs. company_id, primary_contact_id, contact_id, owner_id and
-- created_by name records of other domains (contact, identity): they are
-- plain text, without foreign keys, because those tables are not ours.
CREATE TABLE pipelines (
    id         text PRIMARY KEY,
    name       varchar(100) NOT NULL,
    is_default boolean      NOT NULL DEFAULT false,
    created_at timestamptz  NOT NULL DEFAULT now(),
    updated_at timestamptz  NOT NULL DEFAULT now()
);

CREATE UNIQUE INDEX pipelines_name ON pipelines (lower(name));
-- At most one default pipeline.
CREATE UNIQUE INDEX pipelines_default ON pipelines (is_default) WHERE is_default;

CREATE TABLE stages (
    id                text PRIMARY KEY,
    pipeline_id       text         NOT NULL REFERENCES pipelines (id) ON DELETE CASCADE,
    name              varchar(100) NOT NULL,
    position          integer      NOT NULL CHECK (position >= 0),
    probability       integer      NOT NULL CHECK (probability BETWEEN 0 AND 100),
    forecast_category varchar(20)  NOT NULL
        CHECK (forecast_category IN ('pipeline', 'best_case', 'commit', 'closed', 'omitted')),
    is_closed         boolean      NOT NULL DEFAULT false,
    is_won            boolean      NOT NULL DEFAULT false,
    CHECK (is_closed OR NOT is_won),
    UNIQUE (pipeline_id, position) DEFERRABLE INITIALLY DEFERRED,
    -- Lets deals reference (stage, pipeline) so a stage of another pipeline cannot be set.
    UNIQUE (id, pipeline_id)
);

CREATE TABLE deals (
    id                  text PRIMARY KEY,
    title               varchar(255)  NOT NULL,
    description         text,
    value               numeric(15,2) NOT NULL DEFAULT 0 CHECK (value >= 0),
    currency            char(3)       NOT NULL DEFAULT 'USD',
    probability         integer       NOT NULL CHECK (probability BETWEEN 0 AND 100),
    -- Whether probability was set by hand; if not, it follows the stage.
    probability_manual  boolean       NOT NULL DEFAULT false,
    pipeline_id         text          NOT NULL REFERENCES pipelines (id),
    stage_id            text          NOT NULL,
    company_id          text,
    primary_contact_id  text,
    owner_id            text          NOT NULL,
    expected_close_date date,
    actual_close_date   date,
    source              varchar(100),
    close_reason        varchar(255),
    custom_fields       jsonb         NOT NULL DEFAULT '{}',
    created_at          timestamptz   NOT NULL DEFAULT now(),
    updated_at          timestamptz   NOT NULL DEFAULT now(),
    created_by          text          NOT NULL,
    FOREIGN KEY (stage_id, pipeline_id) REFERENCES stages (id, pipeline_id)
);

-- The default list order and its keyset, and one index per filter.
CREATE INDEX deals_created ON deals (created_at DESC, id DESC);
CREATE INDEX deals_stage ON deals (stage_id, created_at DESC, id DESC);
CREATE INDEX deals_pipeline ON deals (pipeline_id, stage_id);
CREATE INDEX deals_owner ON deals (owner_id, created_at DESC, id DESC);
CREATE INDEX deals_company ON deals (company_id, created_at DESC, id DESC) WHERE company_id IS NOT NULL;
CREATE INDEX deals_primary_contact ON deals (primary_contact_id, created_at DESC, id DESC) WHERE primary_contact_id IS NOT NULL;
CREATE INDEX deals_expected_close ON deals (expected_close_date) WHERE expected_close_date IS NOT NULL;
CREATE INDEX deals_actual_close ON deals (actual_close_date) WHERE actual_close_date IS NOT NULL;
CREATE INDEX deals_value ON deals (value, id);

CREATE TABLE deal_contacts (
    deal_id    text        NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    contact_id text        NOT NULL,
    role       varchar(30) NOT NULL
        CHECK (role IN ('decision_maker', 'influencer', 'user', 'champion', 'economic_buyer', 'technical_buyer', 'other')),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (deal_id, contact_id)
);

CREATE INDEX deal_contacts_contact ON deal_contacts (contact_id);

CREATE TABLE deal_stage_history (
    id            text PRIMARY KEY,
    deal_id       text        NOT NULL REFERENCES deals (id) ON DELETE CASCADE,
    from_stage_id text,
    to_stage_id   text        NOT NULL,
    changed_by    text        NOT NULL,
    changed_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX deal_stage_history_deal ON deal_stage_history (deal_id, changed_at);

-- Every tenant starts with the default pipeline. Ids are ULIDs made in SQL
-- (48-bit millisecond time, 80 random bits, Crockford base32); the
-- correlated subqueries make one id per row.
WITH p AS (
    INSERT INTO pipelines (id, name, is_default)
    SELECT (SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
                (CASE WHEN i < 10
                      THEN (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint >> (5 * (9 - i))) & 31
                      ELSE floor(random() * 32)::bigint END)::int + 1, 1), '' ORDER BY i)
            FROM generate_series(0, 25) AS i WHERE n IS NOT NULL),
           'Sales', true
    FROM (VALUES (1)) AS v (n)
    RETURNING id
)
INSERT INTO stages (id, pipeline_id, name, position, probability, forecast_category, is_closed, is_won)
SELECT (SELECT string_agg(substr('0123456789ABCDEFGHJKMNPQRSTVWXYZ',
            (CASE WHEN i < 10
                  THEN (floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint >> (5 * (9 - i))) & 31
                  ELSE floor(random() * 32)::bigint END)::int + 1, 1), '' ORDER BY i)
        FROM generate_series(0, 25) AS i WHERE s.position IS NOT NULL),
       p.id, s.name, s.position, s.probability, s.category, s.closed, s.won
FROM p, (VALUES
    ('Prospecting',   0,  10, 'pipeline',  false, false),
    ('Qualification', 1,  25, 'pipeline',  false, false),
    ('Proposal',      2,  50, 'best_case', false, false),
    ('Negotiation',   3,  75, 'commit',    false, false),
    ('Closed Won',    4, 100, 'closed',    true,  true),
    ('Closed Lost',   5,   0, 'omitted',   true,  false)
) AS s (name, position, probability, category, closed, won);
