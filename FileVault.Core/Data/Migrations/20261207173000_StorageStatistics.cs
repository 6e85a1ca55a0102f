using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// <c>storage_statistics</c>: one row per root each time a scan completes, with the root's totals (the growth chart
    /// reads these) and, as jsonb, its bytes by type and extension, largest folders and top uploaders. The admin page
    /// reads one small row instead of aggregating a million entries on every visit. Kept by Monitoring's raw SQL, not an
    /// EF entity.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207173000_StorageStatistics")]
    public partial class StorageStatistics : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE storage_statistics (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    root_id integer NOT NULL REFERENCES storage_roots (id) ON DELETE CASCADE,
                    scan_run_id bigint,
                    computed_at timestamptz NOT NULL,
                    files bigint NOT NULL,
                    folders bigint NOT NULL,
                    bytes bigint NOT NULL,
                    details jsonb NOT NULL);
                CREATE INDEX ix_storage_statistics_root_time ON storage_statistics (root_id, computed_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE storage_statistics;");
        }
    }
}
