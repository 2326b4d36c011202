-- Camera health: every status a camera takes (online, offline, fault), with when. Written by
-- triggers in the same transaction as the camera write, whatever the path (API, import, seed).
-- No foreign key: the history outlives a deleted camera.

create table camera_status_change (
    id         integer primary key autoincrement,
    code       text not null,
    status     text not null,
    changed_at text not null
);
create index camera_status_change_code on camera_status_change (code, id);

create trigger camera_status_on_insert after insert on camera
begin
    insert into camera_status_change (code, status, changed_at)
    values (new.code, json_extract(new.props, '$.status'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
end;

create trigger camera_status_on_update after update of props on camera
when json_extract(old.props, '$.status') is not json_extract(new.props, '$.status')
begin
    insert into camera_status_change (code, status, changed_at)
    values (new.code, json_extract(new.props, '$.status'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
end;
