using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// A second consumer of catalog changes, for the optional Meilisearch engine (docs/search.md, "Meilisearch"):
    /// <c>meili_outbox</c>, written by the same statement triggers as <c>search_outbox</c> in the same transaction, and
    /// <c>meili_sync</c>, one row saying whether that queue is on (only once Meilisearch is configured, so an install
    /// without it does not collect a queue nobody drains) and when a full reconciliation last completed. The trigger
    /// functions are replaced; what they write to <c>search_outbox</c> is unchanged.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207150000_MeilisearchOutbox")]
    public partial class MeilisearchOutbox : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE meili_sync (
                    id integer PRIMARY KEY CHECK (id = 1),
                    enabled boolean NOT NULL,
                    reconciled_at timestamptz);
                INSERT INTO meili_sync (id, enabled) VALUES (1, false);

                CREATE TABLE meili_outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    entry_id bigint NOT NULL,
                    queued_at timestamptz NOT NULL DEFAULT now());

                CREATE OR REPLACE FUNCTION search_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM new_rows;
                    IF (SELECT enabled FROM meili_sync) THEN
                        INSERT INTO meili_outbox (entry_id) SELECT id FROM new_rows;
                    END IF;
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION search_outbox_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id)
                    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE (n.name_key, n.relative_path, n.root_id, n.state, n.kind, n.size, n.modified_at, n.extension, n.parent_id IS NULL)
                          IS DISTINCT FROM
                          (o.name_key, o.relative_path, o.root_id, o.state, o.kind, o.size, o.modified_at, o.extension, o.parent_id IS NULL);
                    -- Meilisearch's documents also carry the name as written (a change of case alone keeps the key).
                    IF (SELECT enabled FROM meili_sync) THEN
                        INSERT INTO meili_outbox (entry_id)
                        SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                        WHERE (n.name, n.name_key, n.relative_path, n.root_id, n.state, n.kind, n.size, n.modified_at, n.extension, n.parent_id IS NULL)
                              IS DISTINCT FROM
                              (o.name, o.name_key, o.relative_path, o.root_id, o.state, o.kind, o.size, o.modified_at, o.extension, o.parent_id IS NULL);
                    END IF;
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION search_outbox_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM old_rows;
                    IF (SELECT enabled FROM meili_sync) THEN
                        INSERT INTO meili_outbox (entry_id) SELECT id FROM old_rows;
                    END IF;
                    RETURN NULL;
                END $$;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE OR REPLACE FUNCTION search_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM new_rows;
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION search_outbox_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id)
                    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE (n.name_key, n.relative_path, n.root_id, n.state, n.kind, n.size, n.modified_at, n.extension, n.parent_id IS NULL)
                          IS DISTINCT FROM
                          (o.name_key, o.relative_path, o.root_id, o.state, o.kind, o.size, o.modified_at, o.extension, o.parent_id IS NULL);
                    RETURN NULL;
                END $$;

                CREATE OR REPLACE FUNCTION search_outbox_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM old_rows;
                    RETURN NULL;
                END $$;

                DROP TABLE meili_outbox;
                DROP TABLE meili_sync;
                """);
        }
    }
}
