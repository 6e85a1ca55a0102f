using FileVault.Core.Data;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <summary>
    /// The name index's path btree carries every column a search reads (docs/search.md, "Scope plan"), so a search in a
    /// folder or in a user's granted folders reads the rows under them from the index alone, without a table visit per
    /// row: a User's search at a million entries then reads its part of the tree in a few milliseconds.
    /// </summary>
    [DbContext(typeof(FileVaultDbContext))]
    [Migration("20261207170000_SearchPathIndexCovers")]
    public partial class SearchPathIndexCovers : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS ix_entry_search_path;
                CREATE INDEX ix_entry_search_path ON entry_search (root_id, relative_path)
                    INCLUDE (name_key, entry_id, kind, extension, size, modified_at);
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP INDEX IF EXISTS ix_entry_search_path;
                CREATE INDEX ix_entry_search_path ON entry_search (root_id, relative_path) INCLUDE (name_key);
                """);
        }
    }
}
