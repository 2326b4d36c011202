-- A status report carries the time the device platform saw the status (`status_since` in the
-- camera's props); the history records that time rather than the commit's when it is given.

drop trigger camera_status_on_insert;
drop trigger camera_status_on_update;

create trigger camera_status_on_insert after insert on camera
begin
    insert into camera_status_change (code, status, changed_at)
    values (new.code, json_extract(new.props, '$.status'),
            coalesce(json_extract(new.props, '$.status_since'),
                     strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
end;

create trigger camera_status_on_update after update of props on camera
when json_extract(old.props, '$.status') is not json_extract(new.props, '$.status')
begin
    insert into camera_status_change (code, status, changed_at)
    values (new.code, json_extract(new.props, '$.status'),
            coalesce(json_extract(new.props, '$.status_since'),
                     strftime('%Y-%m-%dT%H:%M:%fZ', 'now')));
end;
