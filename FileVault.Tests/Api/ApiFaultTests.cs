using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using FileVault.Tests.Infrastructure;
using FileVault.Web.Hosting;
using Microsoft.AspNetCore.Http;
using Npgsql;

namespace FileVault.Tests.Api;

/// <summary>Input PostgreSQL cannot store and a database outage answer with their own codes, never a 500 (R-DEG-2, DESIGN invariant 6).</summary>
public sealed class ApiFaultTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    [Fact]
    public async Task A_nul_in_a_description_is_refused_by_its_own_rule()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var response = await admin.PutAsJsonAsync($"/api/v1/entries/{app.Id("Sales/report.txt")}/description", new { description = "a\0b" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("entry.description_invalid", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_nul_that_reaches_the_database_is_a_400_not_a_500()
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var response = await admin.GetAsync("/api/v1/admin/users?search=a%00b");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("input.invalid_text", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("/api/v1/entries/1/children?sort=sideways")]
    [InlineData("/api/v1/entries/1/children?pageSize=many")]
    public async Task A_parameter_that_does_not_bind_is_a_problem_with_a_code(string url)
    {
        using var admin = await app.BearerForAsync(FileVaultAppFactory.AdminEmail, FileVaultAppFactory.AdminPassword);

        var response = await admin.GetAsync(url);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("api.bad_request", (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString());
    }

    public static TheoryData<string, Exception> Outages() => new()
    {
        { "socket", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)) },
        { "shutdown", new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", "57P01") },
        { "starting", new PostgresException("the database system is starting up", "FATAL", "FATAL", "57P03") },
        { "wrapped", new InvalidOperationException("query failed", new NpgsqlException("Exception while reading from stream", new TimeoutException())) },
    };

    [Theory]
    [MemberData(nameof(Outages))]
    public void A_database_outage_is_a_503(string name, Exception outage)
    {
        Assert.Equal(("db.unavailable", StatusCodes.Status503ServiceUnavailable), ApiStatusCodeMiddleware.Classify(outage) is { } p ? (p.Code, p.Status) : default);
        Assert.NotNull(name);
    }

    [Fact]
    public void A_real_fault_stays_a_500()
    {
        Assert.Null(ApiStatusCodeMiddleware.Classify(new PostgresException("duplicate key", "ERROR", "ERROR", "23505")));
        Assert.Null(ApiStatusCodeMiddleware.Classify(new InvalidOperationException("bug")));
    }
}
