using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace FileVault.Core.Data.Migrations
{
    /// <inheritdoc />
    public partial class AuditResultJobAndSearchIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_audit_log_at",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_target_at",
                table: "audit_log");

            migrationBuilder.AlterColumn<string>(
                name: "target",
                table: "audit_log",
                type: "text",
                nullable: false,
                oldClrType: typeof(string),
                oldType: "character varying(200)",
                oldMaxLength: 200);

            migrationBuilder.AddColumn<short>(
                name: "result",
                table: "audit_log",
                type: "smallint",
                nullable: false,
                defaultValue: (short)0);

            // Failed sign-ins were told apart by their action only.
            migrationBuilder.Sql(@"UPDATE audit_log SET result = 1 WHERE action LIKE '%\_failed'");

            migrationBuilder.AddColumn<long>(
                name: "job_id",
                table: "audit_log",
                type: "bigint",
                nullable: true,
                computedColumnSql: "CASE WHEN jsonb_typeof(detail -> 'job') = 'number' THEN (detail ->> 'job')::numeric::bigint END",
                stored: true);

            migrationBuilder.AddColumn<string>(
                name: "to_path",
                table: "audit_log",
                type: "text",
                nullable: true,
                computedColumnSql: "detail ->> 'to'",
                stored: true);

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_action_at_id",
                table: "audit_log",
                columns: new[] { "action", "at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_actor_id_at_id",
                table: "audit_log",
                columns: new[] { "actor_id", "at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_at_id",
                table: "audit_log",
                columns: new[] { "at", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_target_trgm",
                table: "audit_log",
                column: "target")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_to_path_trgm",
                table: "audit_log",
                column: "to_path")
                .Annotation("Npgsql:IndexMethod", "gin")
                .Annotation("Npgsql:IndexOperators", new[] { "gin_trgm_ops" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_audit_log_action_at_id",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_actor_id_at_id",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_at_id",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_target_trgm",
                table: "audit_log");

            migrationBuilder.DropIndex(
                name: "ix_audit_log_to_path_trgm",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "job_id",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "to_path",
                table: "audit_log");

            migrationBuilder.DropColumn(
                name: "result",
                table: "audit_log");

            migrationBuilder.AlterColumn<string>(
                name: "target",
                table: "audit_log",
                type: "character varying(200)",
                maxLength: 200,
                nullable: false,
                oldClrType: typeof(string),
                oldType: "text");

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_at",
                table: "audit_log",
                column: "at");

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_target_at",
                table: "audit_log",
                columns: new[] { "target", "at" });
        }
    }
}
