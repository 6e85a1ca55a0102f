using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class CatalogSearchDescriptionIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateIndex(
                name: "ix_entries_description_trgm",
                table: "entries",
                column: "description",
                filter: "description IS NOT NULL")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_entries_description_trgm",
                table: "entries");
        }
    }
}
