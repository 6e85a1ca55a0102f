using Coravel.Scheduling.Schedule.Interfaces;
using FileVault.Core.Cleanup;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

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
        services.AddSingleton<TokenAccounts>();
        services.AddSingleton<PersonalTokenAnswers>();
        services.AddScoped<RefreshTokens>();
        services.AddScoped<PersonalAccessTokens>();
        services.AddScoped<UserSessions>();
        services.AddTransient<RefreshTokenPurgeSchedule>();
        services.AddSweepCron<ApiTokenOptions>("refresh-tokens", o => o.RefreshTokenPurgeCron);
        return services;
    }

    public static void ScheduleRefreshTokenPurge(this IScheduler scheduler, IServiceProvider services) =>
        scheduler.Schedule<RefreshTokenPurgeSchedule>().Cron(services.GetRequiredService<IOptions<ApiTokenOptions>>().Value.RefreshTokenPurgeCron)
            .PreventOverlapping(nameof(RefreshTokenPurgeSchedule));
}
