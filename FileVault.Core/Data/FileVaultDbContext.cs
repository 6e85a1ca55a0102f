using FileVault.Core.Access;
using FileVault.Core.Audit;
using FileVault.Core.Catalog;
using FileVault.Core.Devices;
using FileVault.Core.Scanning;
using FileVault.Core.Storage;
using FileVault.Core.Tokens;
using Microsoft.AspNetCore.DataProtection.EntityFrameworkCore;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Identity.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Core.Data;

/// <summary>The catalog, identity, and everything else FileVault keeps in PostgreSQL.</summary>
public class FileVaultDbContext(DbContextOptions<FileVaultDbContext> options)
    : IdentityDbContext<FileVaultUser, IdentityRole<Guid>, Guid>(options), IDataProtectionKeyContext
{
    public DbSet<StorageRoot> StorageRoots => Set<StorageRoot>();

    public DbSet<DataProtectionKey> DataProtectionKeys => Set<DataProtectionKey>();

    public DbSet<Entry> Entries => Set<Entry>();

    public DbSet<Jobs.Job> Jobs => Set<Jobs.Job>();

    public DbSet<ScanRun> ScanRuns => Set<ScanRun>();

    public DbSet<ScanError> ScanErrors => Set<ScanError>();

    public DbSet<ScanHeldMissing> ScanHeldMissing => Set<ScanHeldMissing>();

    public DbSet<Group> Groups => Set<Group>();

    public DbSet<GroupMember> GroupMembers => Set<GroupMember>();

    public DbSet<FolderGrant> FolderGrants => Set<FolderGrant>();

    public DbSet<AuditRecord> AuditLog => Set<AuditRecord>();

    public DbSet<Trash.TrashItem> TrashItems => Set<Trash.TrashItem>();

    public DbSet<Device> Devices => Set<Device>();

    public DbSet<DevicePhoto> DevicePhotos => Set<DevicePhoto>();

    public DbSet<Rental> Rentals => Set<Rental>();

    public DbSet<DeviceEvent> DeviceEvents => Set<DeviceEvent>();

    public DbSet<RefreshToken> RefreshTokens => Set<RefreshToken>();

    public DbSet<PersonalAccessToken> PersonalAccessTokens => Set<PersonalAccessToken>();

    public DbSet<ApiSigningKey> ApiSigningKeys => Set<ApiSigningKey>();

    public DbSet<Uploads.Upload> Uploads => Set<Uploads.Upload>();

    public DbSet<Media.EntryMedia> EntryMedia => Set<Media.EntryMedia>();

    public DbSet<Duplicates.ContentHash> ContentHashes => Set<Duplicates.ContentHash>();

    public DbSet<Monitoring.MetricSample> MetricSamples => Set<Monitoring.MetricSample>();

    protected override void OnModelCreating(ModelBuilder builder)
    {
        base.OnModelCreating(builder);
        builder.HasPostgresExtension("pg_trgm");
        builder.Entity<FileVaultUser>().ToTable("users");
        builder.Entity<IdentityRole<Guid>>().ToTable("roles");
        builder.Entity<IdentityUserRole<Guid>>().ToTable("user_roles");
        builder.Entity<IdentityUserClaim<Guid>>().ToTable("user_claims");
        builder.Entity<IdentityUserLogin<Guid>>().ToTable("user_logins");
        builder.Entity<IdentityUserToken<Guid>>().ToTable("user_tokens");
        builder.Entity<IdentityRoleClaim<Guid>>().ToTable("role_claims");
        builder.Entity<DataProtectionKey>().ToTable("data_protection_keys");
        builder.ApplyConfigurationsFromAssembly(typeof(FileVaultDbContext).Assembly);
    }
}
