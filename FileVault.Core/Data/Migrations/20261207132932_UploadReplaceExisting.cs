using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class UploadReplaceExisting : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "replace_existing",
                table: "uploads",
                type: "boolean",
                nullable: false,
                defaultValue: false);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "replace_existing",
                table: "uploads");
        }
    }
}
