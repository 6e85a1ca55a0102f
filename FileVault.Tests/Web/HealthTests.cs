using System.Net;
using System.Text.Json;
using FileVault.Tests.Infrastructure;

namespace FileVault.Tests.Web;

public sealed class HealthTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    [Fact]
    public async Task Ready_reports_postgres_and_redis_healthy()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var response = await client.GetAsync("/health/ready");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Live_answers_without_touching_dependencies()
    {
        using var client = app.CreateClient();
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
    }
}

/// <summary>The app pointed at a Redis port where nothing listens: a real outage, not a mock.</summary>
public sealed class RedisDownAppFactory : FileVaultAppFactory
{
    protected override string RedisConnectionString => $"127.0.0.1:{ClosedPort.Value},abortConnect=false,connectTimeout=500";

    private static readonly Lazy<int> ClosedPort = new(TestEnvironment.FreeLoopbackPort);
}

public sealed class RedisDownTests(RedisDownAppFactory app) : IClassFixture<RedisDownAppFactory>
{
    [Fact]
    public async Task Ready_is_503_naming_redis_while_live_stays_200_and_sign_in_still_works()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateBrowserLikeClient();

        var ready = await client.GetAsync("/health/ready");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var body = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("Unhealthy", body.RootElement.GetProperty("checks").GetProperty("redis").GetProperty("status").GetString());
        Assert.Equal("Healthy", body.RootElement.GetProperty("checks").GetProperty("postgres").GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health/live")).StatusCode);
        var signIn = await FileVaultAppFactory.PostSignInAsync(client, FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
    }
}
