"""Grid redraws: proposals made of blocks, the house each block holds, and old -> new lineage

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:00:00

A proposal divides a community into blocks (the faces between roads, or the land of one compound)
and assigns each block to a proposed cell; edits only move blocks between cells. The houses of
each block are fixed when the proposal is made, so counts, moves and the approval agree exactly;
the fingerprint of the community's houses and cells tells when a proposal went stale. `cells`
limits a redraw to some of the cells in force (splitting or merging them); null: all general cells.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UPGRADE = """
CREATE TABLE grid_proposals (
  id bigserial CONSTRAINT pk_grid_proposals PRIMARY KEY,
  community_code varchar(15) NOT NULL
    CONSTRAINT fk_grid_proposals_community_code_areas REFERENCES areas (code),
  status varchar(12) NOT NULL DEFAULT 'draft'
    CONSTRAINT ck_grid_proposals_status CHECK (status IN ('draft', 'approved', 'superseded')),
  min_households integer NOT NULL,
  max_households integer NOT NULL,
  CONSTRAINT ck_grid_proposals_bounds CHECK (0 < min_households AND min_households <= max_households),
  method varchar(10) NOT NULL CONSTRAINT ck_grid_proposals_method CHECK (method IN ('roads', 'compounds')),
  fingerprint varchar(32) NOT NULL,
  cells varchar(15)[],
  roads geometry(MULTILINESTRING, 4326),
  version integer NOT NULL DEFAULT 1,
  created_by integer CONSTRAINT fk_grid_proposals_created_by_users REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  approved_by integer CONSTRAINT fk_grid_proposals_approved_by_users REFERENCES users (id),
  approved_at timestamptz,
  effective_date date
);
CREATE INDEX ix_grid_proposals_community_code ON grid_proposals (community_code);

CREATE TABLE grid_proposal_blocks (
  proposal_id bigint NOT NULL
    CONSTRAINT fk_grid_proposal_blocks_proposal_id_grid_proposals
    REFERENCES grid_proposals (id) ON DELETE CASCADE,
  block_no integer NOT NULL,
  cell integer NOT NULL,
  households integer NOT NULL,
  persons integer NOT NULL,
  compounds text[] NOT NULL DEFAULT '{}',
  geom geometry(MULTIPOLYGON, 4326) NOT NULL,
  CONSTRAINT pk_grid_proposal_blocks PRIMARY KEY (proposal_id, block_no)
);
CREATE INDEX ix_grid_proposal_blocks_geom ON grid_proposal_blocks USING gist (geom);

CREATE TABLE grid_proposal_houses (
  proposal_id bigint NOT NULL
    CONSTRAINT fk_grid_proposal_houses_proposal_id_grid_proposals
    REFERENCES grid_proposals (id) ON DELETE CASCADE,
  house_id bigint NOT NULL CONSTRAINT fk_grid_proposal_houses_house_id_houses REFERENCES houses (id),
  block_no integer NOT NULL,
  CONSTRAINT pk_grid_proposal_houses PRIMARY KEY (proposal_id, house_id)
);

CREATE TABLE grid_lineage (
  old_code varchar(15) NOT NULL CONSTRAINT fk_grid_lineage_old_code_areas REFERENCES areas (code),
  new_code varchar(15) NOT NULL CONSTRAINT fk_grid_lineage_new_code_areas REFERENCES areas (code),
  community_code varchar(15) NOT NULL,
  proposal_id bigint NOT NULL
    CONSTRAINT fk_grid_lineage_proposal_id_grid_proposals REFERENCES grid_proposals (id),
  effective_date date NOT NULL,
  households integer NOT NULL,
  share double precision NOT NULL,
  area_m2 double precision NOT NULL,
  CONSTRAINT pk_grid_lineage PRIMARY KEY (old_code, new_code)
);
CREATE INDEX ix_grid_lineage_community_code ON grid_lineage (community_code);
CREATE INDEX ix_grid_lineage_new_code ON grid_lineage (new_code);
"""


def upgrade():
    op.execute(UPGRADE)


def downgrade():
    op.execute(
        "DROP TABLE grid_lineage, grid_proposal_houses, grid_proposal_blocks, grid_proposals"
    )
