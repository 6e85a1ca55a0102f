using FileVault.Core.Access;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Tokens;

public enum TokenScope : short
{
    /// <summary>GET and HEAD only.</summary>
    Read = 0,

    ReadWrite = 1,
}

/// <summary>A long-lived token a user makes for a script: shown once, stored as a hash, revocable, with a scope and an expiry.</summary>
public class PersonalAccessToken
{
    public const int MaxNameLength = 100;

    public long Id { get; set; }

    public Guid UserId { get; set; }

    public required string Name { get; set; }

    public required byte[] TokenHash { get; set; }

    public TokenScope Scope { get; set; }

    /// <summary>The user's security stamp at creation: when it changes (password, disable, roles) the token is dead.</summary>
    public required string SecurityStamp { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? LastUsedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }
}

internal sealed class PersonalAccessTokenConfiguration : IEntityTypeConfiguration<PersonalAccessToken>
{
    public void Configure(EntityTypeBuilder<PersonalAccessToken> builder)
    {
        builder.ToTable("personal_access_tokens");
        builder.Property(t => t.Id).UseIdentityByDefaultColumn();
        builder.Property(t => t.Name).HasMaxLength(PersonalAccessToken.MaxNameLength);
        builder.Property(t => t.SecurityStamp).HasMaxLength(256);
        builder.HasIndex(t => t.TokenHash).IsUnique();
        builder.HasIndex(t => t.UserId);
        builder.HasOne<FileVaultUser>().WithMany().HasForeignKey(t => t.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}
