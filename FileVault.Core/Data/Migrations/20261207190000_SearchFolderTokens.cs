using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// The name index's tokens now hold the folders each entry is in (<c>SearchTokens.In</c>), so a User's search and a
    /// folder scope read only the matches inside their folders. Tokens are data: every active entry is queued again, and
    /// the indexer rebuilds the index from the queue (docs/search.md, "Tokens"). Searches stay correct meanwhile: with
    /// more than 5,000 entries queued the catalog plan answers.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207190000_SearchFolderTokens")]
    public partial class SearchFolderTokens : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("INSERT INTO search_outbox (entry_id) SELECT id FROM entries WHERE state = 0 AND parent_id IS NOT NULL ORDER BY id;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("INSERT INTO search_outbox (entry_id) SELECT id FROM entries WHERE state = 0 AND parent_id IS NOT NULL ORDER BY id;");
        }
    }
}
