"""Parameter types shared by the API routers.

Bounds are checked before any query: an identifier beyond PostgreSQL's bigint range must
be a 422 naming the parameter, not a database error."""

from typing import Annotated

from ninja import Path, Query

MAX_BIGINT = 2**63 - 1

ObjectId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="Numeric identifier")]
PageNumber = Annotated[int, Query(ge=1, le=1_000_000, description="Page number, from 1")]
PageSize = Annotated[int, Query(ge=1, le=500, description="Items per page (at most 500)")]
TopK = Annotated[int, Query(ge=1, le=100, description="How many suggestions (at most 100)")]
