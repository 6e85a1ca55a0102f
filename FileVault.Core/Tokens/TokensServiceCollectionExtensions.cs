using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Core.Tokens;

public static class TokensServiceCollectionExtensions
{
    /// <summary>Refresh tokens, personal access tokens and the JWT signing key store (FileVault:Jwt).</summary>
    public static IServiceCollection AddApiTokens(this IServiceCollection services)
    {
        services.AddOptions<ApiTokenOptions>().BindConfiguration("FileVault:Jwt").ValidateDataAnnotations()
            .Validate(o => o.SigningKey is not { Length: > 0 } key || System.Text.Encoding.UTF8.GetByteCount(key) >= ApiSigningKeyStore.MinimumKeyBytes,
                $"FileVault:Jwt:SigningKey must be at least {ApiSigningKeyStore.MinimumKeyBytes} bytes, or empty to have one generated.")
            .ValidateOnStart();
        services.AddSingleton<ApiSigningKeyStore>();
        services.AddScoped<RefreshTokens>();
        services.AddScoped<PersonalAccessTokens>();
        return services;
    }
}
