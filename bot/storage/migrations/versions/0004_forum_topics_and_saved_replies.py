"""forum topics and saved replies

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "forum_topics",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("staff_chat_id", sa.String(length=64), nullable=False),
        sa.Column("resident_id", BIG_ID, nullable=False),
        sa.Column("topic_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("closed", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["resident_id"],
            ["residents.id"],
            name=op.f("fk_forum_topics_resident_id_residents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_forum_topics")),
        sa.UniqueConstraint("staff_chat_id", "resident_id", name="uq_forum_topics_resident"),
        sa.UniqueConstraint("staff_chat_id", "topic_id", name="uq_forum_topics_topic"),
    )
    op.create_index(
        op.f("ix_forum_topics_resident_id"), "forum_topics", ["resident_id"], unique=False
    )
    op.create_table(
        "saved_replies",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_replies")),
        sa.UniqueConstraint("name", name=op.f("uq_saved_replies_name")),
    )


def downgrade() -> None:
    op.drop_table("saved_replies")
    op.drop_index(op.f("ix_forum_topics_resident_id"), table_name="forum_topics")
    op.drop_table("forum_topics")
