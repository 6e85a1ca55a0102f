using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class CatalogAndScanner : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "alert_open",
                table: "storage_roots",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<short>(
                name: "health",
                table: "storage_roots",
                type: "smallint",
                nullable: false,
                defaultValue: (short)0);

            migrationBuilder.AddColumn<DateTimeOffset>(
                name: "health_checked_at",
                table: "storage_roots",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "health_message",
                table: "storage_roots",
                type: "text",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "last_completed_scan_id",
                table: "storage_roots",
                type: "bigint",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "entries",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    root_id = table.Column<int>(type: "integer", nullable: false),
                    parent_id = table.Column<long>(type: "bigint", nullable: true),
                    name = table.Column<string>(type: "text", nullable: false),
                    name_key = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    relative_path = table.Column<string>(type: "text", nullable: false, collation: "C"),
                    kind = table.Column<short>(type: "smallint", nullable: false),
                    sort_group = table.Column<short>(type: "smallint", nullable: false, computedColumnSql: "CASE WHEN kind = 0 THEN 0 ELSE 1 END", stored: true),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    modified_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    extension = table.Column<string>(type: "text", nullable: true),
                    mime_type = table.Column<string>(type: "text", nullable: true),
                    content_hash = table.Column<byte[]>(type: "bytea", nullable: true),
                    description = table.Column<string>(type: "text", nullable: true),
                    uploaded_by_id = table.Column<Guid>(type: "uuid", nullable: true),
                    uploaded_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    state = table.Column<short>(type: "smallint", nullable: false),
                    changed_by_scan_id = table.Column<long>(type: "bigint", nullable: true),
                    missing_since = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    device = table.Column<long>(type: "bigint", nullable: false),
                    inode = table.Column<long>(type: "bigint", nullable: false),
                    name_is_valid = table.Column<bool>(type: "boolean", nullable: false),
                    link_target = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_entries", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "scan_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    root_id = table.Column<int>(type: "integer", nullable: false),
                    kind = table.Column<short>(type: "smallint", nullable: false),
                    status = table.Column<short>(type: "smallint", nullable: false),
                    triggered_by = table.Column<string>(type: "text", nullable: false),
                    started_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    finished_at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: true),
                    seen = table.Column<long>(type: "bigint", nullable: false),
                    added = table.Column<long>(type: "bigint", nullable: false),
                    updated = table.Column<long>(type: "bigint", nullable: false),
                    missing = table.Column<long>(type: "bigint", nullable: false),
                    held_missing = table.Column<long>(type: "bigint", nullable: false),
                    renamed = table.Column<long>(type: "bigint", nullable: false),
                    errors = table.Column<long>(type: "bigint", nullable: false),
                    entries_per_second = table.Column<double>(type: "double precision", nullable: false),
                    walk_seconds = table.Column<double>(type: "double precision", nullable: false),
                    merge_seconds = table.Column<double>(type: "double precision", nullable: false),
                    message = table.Column<string>(type: "text", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scan_runs", x => x.id);
                    table.ForeignKey(
                        name: "fk_scan_runs_storage_roots_root_id",
                        column: x => x.root_id,
                        principalTable: "storage_roots",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "scan_errors",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    scan_run_id = table.Column<long>(type: "bigint", nullable: false),
                    relative_path = table.Column<string>(type: "text", nullable: false),
                    code = table.Column<string>(type: "text", nullable: false),
                    message = table.Column<string>(type: "text", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scan_errors", x => x.id);
                    table.ForeignKey(
                        name: "fk_scan_errors_scan_runs_scan_run_id",
                        column: x => x.scan_run_id,
                        principalTable: "scan_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "scan_held_missing",
                columns: table => new
                {
                    scan_run_id = table.Column<long>(type: "bigint", nullable: false),
                    entry_id = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_scan_held_missing", x => new { x.scan_run_id, x.entry_id });
                    table.ForeignKey(
                        name: "fk_scan_held_missing_entries_entry_id",
                        column: x => x.entry_id,
                        principalTable: "entries",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_scan_held_missing_scan_runs_scan_run_id",
                        column: x => x.scan_run_id,
                        principalTable: "scan_runs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_entries_browse_name",
                table: "entries",
                columns: new[] { "parent_id", "sort_group", "name_key", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_entries_root_id_relative_path",
                table: "entries",
                columns: new[] { "root_id", "relative_path" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_scan_errors_scan_run_id",
                table: "scan_errors",
                column: "scan_run_id");

            migrationBuilder.CreateIndex(
                name: "ix_scan_held_missing_entry_id",
                table: "scan_held_missing",
                column: "entry_id");

            migrationBuilder.CreateIndex(
                name: "ix_scan_runs_root_id_started_at",
                table: "scan_runs",
                columns: new[] { "root_id", "started_at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "scan_errors");

            migrationBuilder.DropTable(
                name: "scan_held_missing");

            migrationBuilder.DropTable(
                name: "entries");

            migrationBuilder.DropTable(
                name: "scan_runs");

            migrationBuilder.DropColumn(
                name: "alert_open",
                table: "storage_roots");

            migrationBuilder.DropColumn(
                name: "health",
                table: "storage_roots");

            migrationBuilder.DropColumn(
                name: "health_checked_at",
                table: "storage_roots");

            migrationBuilder.DropColumn(
                name: "health_message",
                table: "storage_roots");

            migrationBuilder.DropColumn(
                name: "last_completed_scan_id",
                table: "storage_roots");
        }
    }
}
