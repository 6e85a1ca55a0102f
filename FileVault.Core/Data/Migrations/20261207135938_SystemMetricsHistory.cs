using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class SystemMetricsHistory : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "metric_samples",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    host = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    at = table.Column<DateTimeOffset>(type: "timestamp with time zone", nullable: false),
                    cpu_percent = table.Column<double>(type: "double precision", nullable: false),
                    memory_used = table.Column<long>(type: "bigint", nullable: false),
                    memory_total = table.Column<long>(type: "bigint", nullable: false),
                    swap_used = table.Column<long>(type: "bigint", nullable: false),
                    load1 = table.Column<double>(type: "double precision", nullable: false),
                    disk_read_bytes_per_second = table.Column<double>(type: "double precision", nullable: false),
                    disk_written_bytes_per_second = table.Column<double>(type: "double precision", nullable: false),
                    received_bytes_per_second = table.Column<double>(type: "double precision", nullable: false),
                    sent_bytes_per_second = table.Column<double>(type: "double precision", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_metric_samples", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_metric_samples_at",
                table: "metric_samples",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_metric_samples_host_at",
                table: "metric_samples",
                columns: new[] { "host", "at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "metric_samples");
        }
    }
}
