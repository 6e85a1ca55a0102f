using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ContentHashesForDuplicates : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "content_hashes",
                columns: table => new
                {
                    entry_id = table.Column<long>(type: "bigint", nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    mtime_ns = table.Column<long>(type: "bigint", nullable: false),
                    ctime_ns = table.Column<long>(type: "bigint", nullable: false),
                    device = table.Column<long>(type: "bigint", nullable: false),
                    inode = table.Column<long>(type: "bigint", nullable: false),
                    partial_hash = table.Column<byte[]>(type: "bytea", nullable: false),
                    full_hash = table.Column<byte[]>(type: "bytea", nullable: true),
                    hashed_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_content_hashes", x => x.entry_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_content_hashes_size_full_hash",
                table: "content_hashes",
                columns: new[] { "size", "full_hash" },
                filter: "full_hash IS NOT NULL");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "content_hashes");
        }
    }
}
