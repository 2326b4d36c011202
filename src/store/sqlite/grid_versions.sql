select code as key, geometry, props, version, valid_from, valid_to
from grid_version
order by code, version
