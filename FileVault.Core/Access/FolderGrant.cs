using FileVault.Core.Storage;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Access;

/// <summary>
/// Permissions that a user or a group gets (or is denied) on a folder of a storage root and, by inheritance, on
/// everything below it. Exactly one of <see cref="UserId"/> and <see cref="GroupId"/> is set.
/// </summary>
public class FolderGrant
{
    public long Id { get; set; }

    public int RootId { get; set; }

    /// <summary>The folder's catalog path, spelled exactly as in entries.relative_path; "" for the root. Collation "C".</summary>
    public required string RelativePath { get; set; }

    public Guid? UserId { get; set; }

    public int? GroupId { get; set; }

    public Permission Permissions { get; set; }

    public GrantEffect Effect { get; set; }

    public Guid? CreatedById { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class FolderGrantConfiguration : IEntityTypeConfiguration<FolderGrant>
{
    public void Configure(EntityTypeBuilder<FolderGrant> builder)
    {
        builder.ToTable("folder_grants", table =>
        {
            table.HasCheckConstraint("ck_folder_grants_one_principal", "(user_id IS NULL) <> (group_id IS NULL)");
            table.HasCheckConstraint("ck_folder_grants_permissions", "permissions BETWEEN 1 AND 15");
        });
        builder.Property(g => g.Id).UseIdentityByDefaultColumn();
        builder.Property(g => g.RelativePath).UseCollation("C");
        // The evaluator asks for root_id = $1 AND relative_path = ANY($ancestors); the SQL filter joins on root_id and
        // compares relative_path by range. Both are served by this index.
        builder.HasIndex(g => new { g.RootId, g.RelativePath });
        // One allow and one deny per principal and folder: the editor updates a grant instead of stacking copies.
        builder.HasIndex(g => new { g.RootId, g.RelativePath, g.UserId, g.Effect }).IsUnique().HasFilter("user_id IS NOT NULL")
            .HasDatabaseName("ux_folder_grants_user");
        builder.HasIndex(g => new { g.RootId, g.RelativePath, g.GroupId, g.Effect }).IsUnique().HasFilter("group_id IS NOT NULL")
            .HasDatabaseName("ux_folder_grants_group");
        builder.HasIndex(g => g.UserId);
        builder.HasIndex(g => g.GroupId);
        builder.HasOne<StorageRoot>().WithMany().HasForeignKey(g => g.RootId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<FileVaultUser>().WithMany().HasForeignKey(g => g.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<Group>().WithMany().HasForeignKey(g => g.GroupId).OnDelete(DeleteBehavior.Cascade);
    }
}
