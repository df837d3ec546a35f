-- Companies and contacts of one tenant (the seed's contact-service tables).
-- Ids are ULIDs; owner_id and created_by are user ids of the identity
-- subgraph, kept without a foreign key because the users table is another
-- domain's. pg_trgm lives in the shared schema, which every tenant
-- transaction has on its search_path.
CREATE TABLE companies (
    id                text PRIMARY KEY,
    name              varchar(255) NOT NULL,
    domain            varchar(253),
    industry          varchar(100),
    size_category     varchar(50),
    parent_company_id text REFERENCES companies (id) ON DELETE SET NULL,
    street_address    varchar(255),
    city              varchar(100),
    state             varchar(100),
    country           varchar(100),
    postal_code       varchar(20),
    phone             varchar(50),
    website           varchar(255),
    custom_fields     jsonb        NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    created_by        text,
    search            tsvector GENERATED ALWAYS AS (
        to_tsvector('simple'::regconfig, coalesce(name, '') || ' ' || translate(coalesce(domain, ''), '.-', '  ') || ' ' ||
            coalesce(industry, ''))
    ) STORED,
    CHECK (parent_company_id <> id)
);

-- Orderings (each ends with id: the keyset cursors' tie-breaker).
CREATE INDEX companies_name ON companies (lower(name), id);
CREATE INDEX companies_created ON companies (created_at, id);
CREATE INDEX companies_updated ON companies (updated_at, id);
-- Filters.
CREATE INDEX companies_parent ON companies (parent_company_id);
CREATE INDEX companies_industry ON companies (lower(industry));
CREATE INDEX companies_domain ON companies (lower(domain));
CREATE INDEX companies_created_by ON companies (created_by);
CREATE INDEX companies_size ON companies (size_category);
CREATE INDEX companies_custom_fields ON companies USING gin (custom_fields);
-- Search: full text, and trigrams for typos and substrings.
CREATE INDEX companies_search ON companies USING gin (search);
CREATE INDEX companies_name_trgm ON companies USING gin (lower(name) gin_trgm_ops);

CREATE TABLE contacts (
    id             text PRIMARY KEY,
    first_name     varchar(100) NOT NULL,
    last_name      varchar(100) NOT NULL,
    email          varchar(254),
    phone          varchar(50),
    job_title      varchar(100),
    company_id     text REFERENCES companies (id) ON DELETE SET NULL,
    owner_id       text,
    status         varchar(50)  NOT NULL DEFAULT 'lead'
                   CHECK (status IN ('lead', 'prospect', 'customer', 'inactive')),
    source         varchar(100),
    street_address varchar(255),
    city           varchar(100),
    state          varchar(100),
    country        varchar(100),
    postal_code    varchar(20),
    custom_fields  jsonb        NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(custom_fields) = 'object'),
    notes          text,
    created_at     timestamptz  NOT NULL DEFAULT now(),
    updated_at     timestamptz  NOT NULL DEFAULT now(),
    created_by     text,
    search         tsvector GENERATED ALWAYS AS (
        -- E-mail addresses split into words, so "acme" finds the people at acme.example.com.
        to_tsvector('simple'::regconfig, coalesce(first_name, '') || ' ' || coalesce(last_name, '') || ' ' ||
            translate(coalesce(email, ''), '@.-_+', '     ') || ' ' || coalesce(job_title, ''))
    ) STORED
);

-- Orderings.
CREATE INDEX contacts_name ON contacts (lower(last_name), lower(first_name), id);
CREATE INDEX contacts_email_order ON contacts (coalesce(lower(email), ''), id);
CREATE INDEX contacts_created ON contacts (created_at, id);
CREATE INDEX contacts_updated ON contacts (updated_at, id);
-- Filters (the e-mail index also finds duplicates).
CREATE INDEX contacts_email ON contacts (lower(email));
CREATE INDEX contacts_company ON contacts (company_id, lower(last_name), lower(first_name), id);
CREATE INDEX contacts_owner ON contacts (owner_id, lower(last_name), lower(first_name), id);
CREATE INDEX contacts_status ON contacts (status);
CREATE INDEX contacts_source ON contacts (lower(source));
CREATE INDEX contacts_custom_fields ON contacts USING gin (custom_fields);
-- Search.
CREATE INDEX contacts_search ON contacts USING gin (search);
CREATE INDEX contacts_name_trgm ON contacts USING gin (lower(first_name || ' ' || last_name) gin_trgm_ops);
