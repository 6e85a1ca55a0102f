using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// The name index of search (docs/search.md): <c>entry_search</c>, one row per active entry with its name tokens
    /// under GIN and its sort keys under btrees, kept off the scanner's path; and <c>search_outbox</c>, the entries
    /// changed since, written by statement triggers in the same transaction as every catalog change and drained by
    /// <c>SearchIndexer</c>. Neither is an EF entity: search reads them in SQL, and they are derived data, rebuilt from
    /// <c>entries</c> by queueing every entry (as this migration does for a catalog that exists already).
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207133000_SearchIndex")]
    public partial class SearchIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE entry_search (
                    entry_id bigint PRIMARY KEY,
                    root_id integer NOT NULL,
                    relative_path text COLLATE "C" NOT NULL,
                    name_key text COLLATE "C" NOT NULL,
                    kind smallint NOT NULL,
                    extension text,
                    size bigint NOT NULL,
                    modified_at timestamptz NOT NULL,
                    tokens integer[] NOT NULL);
                ALTER TABLE entry_search ALTER COLUMN tokens SET STATISTICS 1000;
                CREATE INDEX ix_entry_search_tokens ON entry_search USING gin (tokens) WITH (fastupdate = on, gin_pending_list_limit = 16384);
                -- Covering: a walk by name reads the index only, whatever the filters (the heap rows are mostly tokens).
                CREATE INDEX ix_entry_search_name ON entry_search (name_key, entry_id) INCLUDE (kind, extension, size, modified_at, root_id, relative_path);
                CREATE INDEX ix_entry_search_size ON entry_search (size, name_key, entry_id);
                CREATE INDEX ix_entry_search_modified ON entry_search (modified_at, name_key, entry_id);
                -- Entries with a description are searched in the catalog (the index has no descriptions): few, found by this.
                CREATE INDEX ix_entries_described ON entries (id) WHERE description IS NOT NULL;
                CREATE INDEX ix_entry_search_path ON entry_search (root_id, relative_path) INCLUDE (name_key);

                CREATE TABLE search_outbox (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    entry_id bigint NOT NULL);

                CREATE FUNCTION search_outbox_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM new_rows;
                    RETURN NULL;
                END $$;

                CREATE FUNCTION search_outbox_updated() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id)
                    SELECT n.id FROM new_rows n JOIN old_rows o ON o.id = n.id
                    WHERE (n.name_key, n.relative_path, n.root_id, n.state, n.kind, n.size, n.modified_at, n.extension, n.parent_id IS NULL)
                          IS DISTINCT FROM
                          (o.name_key, o.relative_path, o.root_id, o.state, o.kind, o.size, o.modified_at, o.extension, o.parent_id IS NULL);
                    RETURN NULL;
                END $$;

                CREATE FUNCTION search_outbox_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO search_outbox (entry_id) SELECT id FROM old_rows;
                    RETURN NULL;
                END $$;

                CREATE TRIGGER entries_search_inserted AFTER INSERT ON entries
                    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_inserted();
                CREATE TRIGGER entries_search_updated AFTER UPDATE ON entries
                    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_updated();
                CREATE TRIGGER entries_search_deleted AFTER DELETE ON entries
                    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION search_outbox_deleted();

                INSERT INTO search_outbox (entry_id) SELECT id FROM entries WHERE state = 0 AND parent_id IS NOT NULL ORDER BY id;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER entries_search_inserted ON entries;
                DROP TRIGGER entries_search_updated ON entries;
                DROP TRIGGER entries_search_deleted ON entries;
                DROP FUNCTION search_outbox_inserted();
                DROP FUNCTION search_outbox_updated();
                DROP FUNCTION search_outbox_deleted();
                DROP TABLE search_outbox;
                DROP TABLE entry_search;
                DROP INDEX ix_entries_described;
                """);
        }
    }
}
