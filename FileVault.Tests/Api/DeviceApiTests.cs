using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using FileVault.Core.Access;
using FileVault.Core.Devices;
using FileVault.Tests.Infrastructure;
using Microsoft.EntityFrameworkCore;

namespace FileVault.Tests.Api;

/// <summary>/api/v1/devices: the desk page's role rules over the API, and the desk's business rules as status codes.</summary>
public sealed class DeviceApiTests(ApiAppFactory app) : IClassFixture<ApiAppFactory>
{
    private const string DeskEmail = "desk@device-api.test";
    private const string EmployeeEmail = "employee@device-api.test";
    private const string AdminEmail = "admin@device-api.test";

    /// <summary>Every device endpoint the desk runs (everything but the caller's own rentals).</summary>
    public static TheoryData<string, string> DeskEndpoints() => new()
    {
        { "GET", "/api/v1/devices" },
        { "GET", "/api/v1/devices/1" },
        { "POST", "/api/v1/devices" },
        { "PUT", "/api/v1/devices/1" },
        { "POST", "/api/v1/devices/check-out" },
        { "POST", "/api/v1/devices/check-in" },
        { "GET", "/api/v1/devices/overdue" },
        { "GET", "/api/v1/devices/report?from=2026-01-01&to=2026-01-31" },
    };

    public static TheoryData<string, string> AllEndpoints()
    {
        var all = DeskEndpoints();
        all.Add("GET", "/api/v1/devices/my-rentals");
        return all;
    }

    [Theory]
    [MemberData(nameof(AllEndpoints))]
    public async Task Anonymous_gets_401_from_every_device_endpoint(string method, string url)
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var response = await client.SendAsync(Request(method, url));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("auth.unauthenticated", await CodeAsync(response));
    }

    [Theory]
    [MemberData(nameof(DeskEndpoints))]
    public async Task A_plain_user_gets_403_from_every_desk_endpoint(string method, string url)
    {
        using var employee = await ClientAsync(EmployeeEmail, Roles.User);

        var response = await employee.SendAsync(Request(method, url));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("auth.forbidden", await CodeAsync(response));
    }

    [Fact]
    public async Task Desk_staff_check_out_and_in_but_only_admins_register_and_edit()
    {
        using var desk = await ClientAsync(DeskEmail, Roles.DeskStaff);
        using var admin = await ClientAsync(AdminEmail, Roles.Admin);

        var refused = await desk.PostAsJsonAsync("/api/v1/devices", Input("DESK-REG-1"));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("desk.forbidden", await CodeAsync(refused));

        var registered = await admin.PostAsJsonAsync("/api/v1/devices", Input(" api-dev-1 "));
        Assert.Equal(HttpStatusCode.OK, registered.StatusCode);
        var device = await registered.Content.ReadFromJsonAsync<JsonElement>();
        var id = device.GetProperty("id").GetInt32();
        Assert.Equal("API-DEV-1", device.GetProperty("assetTag").GetString());
        Assert.Equal("Available", device.GetProperty("status").GetString());

        var editByDesk = await desk.PutAsJsonAsync($"/api/v1/devices/{id}", Input("API-DEV-1", model: "Galaxy S25"));
        Assert.Equal(HttpStatusCode.Forbidden, editByDesk.StatusCode);
        var edited = await admin.PutAsJsonAsync($"/api/v1/devices/{id}", Input("API-DEV-1", model: "Galaxy S25"));
        Assert.Equal(HttpStatusCode.OK, edited.StatusCode);
        Assert.Equal("Galaxy S25", (await desk.GetFromJsonAsync<JsonElement>($"/api/v1/devices/{id}")).GetProperty("model").GetString());
        var taken = await admin.PostAsJsonAsync("/api/v1/devices", Input("api-dev-1"));
        Assert.Equal(HttpStatusCode.Conflict, taken.StatusCode);
        Assert.Equal("device.asset_tag_taken", await CodeAsync(taken));

        var checkedOut = await desk.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("api-dev-1", "Kim Minji", DateTimeOffset.UtcNow.AddDays(3)));
        Assert.Equal(HttpStatusCode.OK, checkedOut.StatusCode);
        var rental = await checkedOut.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("Rented", rental.GetProperty("device").GetProperty("status").GetString());
        Assert.Equal("Kim Minji", rental.GetProperty("device").GetProperty("rental").GetProperty("borrowerName").GetString());
        var listed = await desk.GetFromJsonAsync<JsonElement>("/api/v1/devices?status=Rented&search=api-dev");
        Assert.Equal(id, Assert.Single(listed.GetProperty("rows").EnumerateArray()).GetProperty("id").GetInt32());

        var checkedIn = await desk.PostAsJsonAsync("/api/v1/devices/check-in", new { assetTag = "API-DEV-1", condition = "scratched", needsRepair = false });
        Assert.Equal(HttpStatusCode.OK, checkedIn.StatusCode);
        Assert.Equal(rental.GetProperty("rentalId").GetInt64(), (await checkedIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("rentalId").GetInt64());
        await using var db = app.Database.CreateDbContext();
        var row = await db.Rentals.SingleAsync(r => r.DeviceId == id);
        Assert.Equal((DeskEmail, DeskEmail, "scratched"), (row.CheckedOutBy, row.CheckedInBy, row.ReturnCondition));
        Assert.Equal(HttpStatusCode.NotFound, (await desk.GetAsync("/api/v1/devices/999999")).StatusCode);
    }

    [Fact]
    public async Task A_device_cannot_be_rented_twice_nor_checked_in_when_not_out()
    {
        using var desk = await ClientAsync(DeskEmail, Roles.DeskStaff);
        using var admin = await ClientAsync(AdminEmail, Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/v1/devices", Input("API-TWICE"))).StatusCode);
        var notOut = await desk.PostAsJsonAsync("/api/v1/devices/check-in", new { assetTag = "API-TWICE" });
        Assert.Equal(HttpStatusCode.Conflict, notOut.StatusCode);
        Assert.Equal("device.not_rented", await CodeAsync(notOut));
        Assert.Equal(HttpStatusCode.OK,
            (await desk.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("API-TWICE", "First borrower", DateTimeOffset.UtcNow.AddDays(1)))).StatusCode);

        var second = await desk.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("API-TWICE", "Second borrower", DateTimeOffset.UtcNow.AddDays(1)));

        Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
        Assert.Equal("device.already_rented", await CodeAsync(second));
        await using var db = app.Database.CreateDbContext();
        var rental = await db.Rentals.Join(db.Devices.Where(d => d.AssetTag == "API-TWICE"), r => r.DeviceId, d => d.Id, (r, _) => r).SingleAsync();
        Assert.Equal("First borrower", rental.BorrowerName);
        var unknown = await desk.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("NO-SUCH-TAG", "Someone", DateTimeOffset.UtcNow.AddDays(1)));
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        var past = await desk.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("API-TWICE", "Someone", DateTimeOffset.UtcNow.AddDays(-1)));
        Assert.Equal("rental.due_before_start", await CodeAsync(past));
    }

    [Fact]
    public async Task A_read_only_personal_token_of_the_desk_reads_but_cannot_check_out()
    {
        using var desk = await ClientAsync(DeskEmail, Roles.DeskStaff);
        using var admin = await ClientAsync(AdminEmail, Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/v1/devices", Input("API-PAT-1"))).StatusCode);
        var pat = await desk.PostAsJsonAsync("/api/v1/me/tokens", new { name = "desk board", scope = "read", expiresInDays = 1 });
        using var readOnly = app.Bearer((await pat.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("secret").GetString()!);

        Assert.Equal(HttpStatusCode.OK, (await readOnly.GetAsync("/api/v1/devices?search=API-PAT-1")).StatusCode);
        var checkOut = await readOnly.PostAsJsonAsync("/api/v1/devices/check-out", CheckOut("API-PAT-1", "Via script", DateTimeOffset.UtcNow.AddDays(1)));

        Assert.Equal(HttpStatusCode.Forbidden, checkOut.StatusCode);
        Assert.Equal("token.scope_insufficient", await CodeAsync(checkOut));
        var device = (await desk.GetFromJsonAsync<JsonElement>("/api/v1/devices?search=API-PAT-1")).GetProperty("rows")[0];
        Assert.Equal("Available", device.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Each_user_sees_only_their_own_rentals()
    {
        var borrower = await EnsureUserAsync("borrower@device-api.test", Roles.User);
        using var desk = await ClientAsync(DeskEmail, Roles.DeskStaff);
        using var admin = await ClientAsync(AdminEmail, Roles.Admin);
        Assert.Equal(HttpStatusCode.OK, (await admin.PostAsJsonAsync("/api/v1/devices", Input("API-MINE-1"))).StatusCode);
        var checkOut = await desk.PostAsJsonAsync("/api/v1/devices/check-out", new
        {
            assetTag = "API-MINE-1",
            borrower = new { userId = borrower, name = (string?)null, department = (string?)null },
            dueAt = DateTimeOffset.UtcNow.AddDays(2),
        });
        Assert.Equal(HttpStatusCode.OK, checkOut.StatusCode);
        using var mine = await ClientAsync("borrower@device-api.test", Roles.User);
        using var other = await ClientAsync("other-borrower@device-api.test", Roles.User);

        var own = await mine.GetFromJsonAsync<JsonElement>("/api/v1/devices/my-rentals");
        var others = await other.GetFromJsonAsync<JsonElement>("/api/v1/devices/my-rentals");

        Assert.Equal("API-MINE-1", Assert.Single(own.EnumerateArray()).GetProperty("assetTag").GetString());
        Assert.Empty(others.EnumerateArray());
    }

    [Fact]
    public async Task Overdue_list_and_usage_report_come_as_json()
    {
        using var desk = await ClientAsync(DeskEmail, Roles.DeskStaff);
        using var admin = await ClientAsync(AdminEmail, Roles.Admin);
        var id = (await (await admin.PostAsJsonAsync("/api/v1/devices", Input("API-LATE-1"))).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetInt32();
        // Check-out refuses a due time in the past, so the late rental is put in place as the clock would have left it.
        var now = DateTimeOffset.UtcNow;
        await using (var db = app.Database.CreateDbContext())
        {
            db.Rentals.Add(new Rental
            {
                DeviceId = id, BorrowerName = "Late Lee", StartedAt = now.AddDays(-10), DueAt = now.AddDays(-3), CheckedOutBy = DeskEmail,
            });
            await db.SaveChangesAsync();
            await db.Devices.Where(d => d.Id == id).ExecuteUpdateAsync(s => s.SetProperty(d => d.Status, DeviceStatus.Rented));
        }

        var overdue = await desk.GetFromJsonAsync<JsonElement>("/api/v1/devices/overdue");
        var late = overdue.EnumerateArray().Single(r => r.GetProperty("assetTag").GetString() == "API-LATE-1");
        Assert.Equal("Late Lee", late.GetProperty("borrowerName").GetString());
        Assert.True(late.GetProperty("isOverdue").GetBoolean());

        var from = DateOnly.FromDateTime(now.AddDays(-30).UtcDateTime);
        var to = DateOnly.FromDateTime(now.UtcDateTime);
        var report = await desk.GetAsync($"/api/v1/devices/report?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}");
        Assert.Equal(HttpStatusCode.OK, report.StatusCode);
        var usage = (await report.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("byDevice").EnumerateArray()
            .Single(u => u.GetProperty("assetTag").GetString() == "API-LATE-1");
        Assert.Equal((1, 1), (usage.GetProperty("rentals").GetInt32(), usage.GetProperty("overdueCount").GetInt32()));

        var backwards = await desk.GetAsync($"/api/v1/devices/report?from={to:yyyy-MM-dd}&to={from:yyyy-MM-dd}");
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Equal("report.range_invalid", await CodeAsync(backwards));

        var seoul = await desk.GetAsync($"/api/v1/devices/report?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&tz=Asia%2FSeoul");
        var unknown = await desk.GetAsync($"/api/v1/devices/report?from={from:yyyy-MM-dd}&to={to:yyyy-MM-dd}&tz=..%2Fetc%2Fpasswd");
        Assert.Equal(HttpStatusCode.OK, seoul.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Equal("timezone.unknown", await CodeAsync(unknown));
    }

    [Fact]
    public async Task OpenApi_names_and_summarises_every_device_operation()
    {
        await app.WaitUntilReadyAsync();
        using var client = app.CreateClient();

        var operations = await AdminApiTests.OperationsAsync(client);

        foreach (var (path, method, name) in new[]
        {
            ("/api/v1/devices", "get", "ListDevices"), ("/api/v1/devices", "post", "RegisterDevice"), ("/api/v1/devices/{id}", "get", "GetDevice"),
            ("/api/v1/devices/{id}", "put", "UpdateDevice"), ("/api/v1/devices/check-out", "post", "CheckOutDevice"),
            ("/api/v1/devices/check-in", "post", "CheckInDevice"), ("/api/v1/devices/overdue", "get", "ListOverdueRentals"),
            ("/api/v1/devices/my-rentals", "get", "ListMyRentals"), ("/api/v1/devices/report", "get", "GetUsageReport"),
        })
        {
            Assert.True(operations.TryGetValue((path, method), out var operation), $"{method} {path} is not in the document");
            Assert.Equal(name, operation.Id);
            Assert.False(string.IsNullOrWhiteSpace(operation.Summary), $"{name} has no summary");
        }
    }

    private static object Input(string tag, string model = "Galaxy S24") =>
        new { assetTag = tag, manufacturer = "Samsung", model, osName = "Android", osVersion = "14", serialNumber = (string?)null, purchaseDate = (string?)null, notes = (string?)null };

    private static object CheckOut(string tag, string borrowerName, DateTimeOffset dueAt) =>
        new { assetTag = tag, borrower = new { userId = (Guid?)null, name = borrowerName, department = "QA" }, purpose = "testing", dueAt };

    private static HttpRequestMessage Request(string method, string url) =>
        new(new HttpMethod(method), url) { Content = method is "GET" or "DELETE" ? null : JsonContent.Create(new { }) };

    private static async Task<string?> CodeAsync(HttpResponseMessage response) =>
        (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("code").GetString();

    /// <summary>A bearer client for the user, created with the role on first use (tests of the class share the database).</summary>
    private async Task<HttpClient> ClientAsync(string email, string role)
    {
        await EnsureUserAsync(email, role);
        return await app.BearerForAsync(email);
    }

    private async Task<Guid> EnsureUserAsync(string email, string role)
    {
        await app.WaitUntilReadyAsync();
        await using (var db = app.Database.CreateDbContext())
        {
            if (await db.Users.Where(u => u.Email == email).Select(u => (Guid?)u.Id).SingleOrDefaultAsync() is { } id)
            {
                return id;
            }
        }

        return (await app.CreateUserAsync(email, role)).Id;
    }
}
