-- Every answer that showed personal data unmasked (workers' phone numbers): when, to whom
-- (the token's name and role), through what, and whose data (how many, and the first keys).

create table personal_read (
    id       bigserial primary key,
    at       timestamptz not null,
    token    text not null,
    role     text not null,
    what     text not null,
    subjects bigint not null,
    sample   text not null
);
