using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;

namespace FileVault.Core.Tokens;

/// <summary>The generated JWT signing key, when none is configured; one row, shared by every app instance.</summary>
public class ApiSigningKey
{
    public int Id { get; set; }

    public required byte[] KeyMaterial { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}

internal sealed class ApiSigningKeyConfiguration : IEntityTypeConfiguration<ApiSigningKey>
{
    public void Configure(EntityTypeBuilder<ApiSigningKey> builder)
    {
        builder.ToTable("api_signing_keys");
        builder.Property(k => k.Id).ValueGeneratedNever();
    }
}
