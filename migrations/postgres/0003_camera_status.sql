-- Camera health: every status a camera takes (online, offline, fault), with when. Written by a
-- trigger in the same transaction as the camera write, whatever the path (API, import, seed);
-- the time is the transaction's. No foreign key: the history outlives a deleted camera.

create table camera_status_change (
    id         bigserial primary key,
    code       text not null,
    status     text not null,
    changed_at timestamptz not null
);
create index camera_status_change_code on camera_status_change (code, id);

create function camera_status_record() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' or (old.props ->> 'status') is distinct from (new.props ->> 'status') then
        insert into camera_status_change (code, status, changed_at)
        values (new.code, new.props ->> 'status', now());
    end if;
    return null;
end
$$;

create trigger camera_status_on_write after insert or update of props on camera
for each row execute function camera_status_record();
