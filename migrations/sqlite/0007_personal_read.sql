-- Every answer that showed personal data unmasked (workers' phone numbers): when, to whom
-- (the token's name and role), through what, and whose data (how many, and the first keys).

create table personal_read (
    id       integer primary key autoincrement,
    at       text not null,
    token    text not null,
    role     text not null,
    what     text not null,
    subjects integer not null,
    sample   text not null
);
