using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class ExifInEntryMedia : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "entry_media",
                columns: table => new
                {
                    entry_id = table.Column<long>(type: "bigint", nullable: false),
                    content_length = table.Column<long>(type: "bigint", nullable: false),
                    content_modified_ticks = table.Column<long>(type: "bigint", nullable: false),
                    make = table.Column<string>(type: "text", nullable: true),
                    model = table.Column<string>(type: "text", nullable: true),
                    lens = table.Column<string>(type: "text", nullable: true),
                    taken_at = table.Column<DateTime>(type: "timestamp without time zone", nullable: true),
                    width = table.Column<int>(type: "integer", nullable: true),
                    height = table.Column<int>(type: "integer", nullable: true),
                    orientation = table.Column<short>(type: "smallint", nullable: true),
                    exposure_seconds = table.Column<double>(type: "double precision", nullable: true),
                    f_number = table.Column<double>(type: "double precision", nullable: true),
                    iso = table.Column<int>(type: "integer", nullable: true),
                    focal_length_mm = table.Column<double>(type: "double precision", nullable: true),
                    latitude = table.Column<double>(type: "double precision", nullable: true),
                    longitude = table.Column<double>(type: "double precision", nullable: true),
                    raw = table.Column<string>(type: "jsonb", nullable: false),
                    read_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entry_media", x => x.entry_id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_entry_media_model",
                table: "entry_media",
                column: "model");

            migrationBuilder.CreateIndex(
                name: "ix_entry_media_taken_at",
                table: "entry_media",
                column: "taken_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "entry_media");
        }
    }
}
