using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// When each <c>search_outbox</c> row was queued, so the services page can show how far the name index is behind
    /// (the age of the oldest change not indexed yet). The catalog's triggers do not name the column: the default fills
    /// it. Rows queued before this migration get its time.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207173100_SearchOutboxQueuedAt")]
    public partial class SearchOutboxQueuedAt : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE search_outbox ADD COLUMN queued_at timestamptz NOT NULL DEFAULT now();");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER TABLE search_outbox DROP COLUMN queued_at;");
        }
    }
}
