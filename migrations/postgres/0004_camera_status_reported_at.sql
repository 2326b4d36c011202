-- A status report carries the time the device platform saw the status (`status_since` in the
-- camera's props); the history records that time rather than the commit's when it is given.

create or replace function camera_status_record() returns trigger language plpgsql as $$
begin
    if tg_op = 'INSERT' or (old.props ->> 'status') is distinct from (new.props ->> 'status') then
        insert into camera_status_change (code, status, changed_at)
        values (new.code, new.props ->> 'status',
                coalesce((new.props ->> 'status_since')::timestamptz, now()));
    end if;
    return null;
end
$$;
