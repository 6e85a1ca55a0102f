using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// <c>cleanup_runs</c>: one row each time a cleanup sweep ran (expired uploads, refresh tokens, orphaned thumbnails,
    /// old jobs, audit, metrics and statistics past their retention) with what it removed (and, where it says, what it kept), shown on the services page.
    /// Kept by Cleanup's raw SQL, not an EF entity.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207173200_CleanupRuns")]
    public partial class CleanupRuns : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TABLE cleanup_runs (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    sweep text NOT NULL,
                    host text NOT NULL,
                    started_at timestamptz NOT NULL,
                    finished_at timestamptz NOT NULL,
                    removed bigint NOT NULL,
                    kept bigint,
                    error text);
                CREATE INDEX ix_cleanup_runs_sweep_started ON cleanup_runs (sweep, started_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TABLE cleanup_runs;");
        }
    }
}
