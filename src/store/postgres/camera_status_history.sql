select status, to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
from camera_status_change
where code = $1
order by id desc
limit $2
