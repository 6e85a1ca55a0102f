using System.Net;
using CsvHelper;
using FileVault.Core.Access;
using FileVault.Core.Devices;
using FileVault.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;

namespace FileVault.Tests.Devices;

public sealed class DeskExportTests(FileVaultAppFactory app) : IClassFixture<FileVaultAppFactory>
{
    private static readonly DeskActor Admin = new(Guid.NewGuid(), "admin@filevault.test", RunsDesk: true, ManagesDevices: true);

    [Fact]
    public async Task Device_list_exports_as_excel_ready_utf8_csv_with_korean_headers_and_names()
    {
        await SeedAsync("CSVL-1", "김민수", "영업부");
        await SeedAsync("CSVL-2", "=HYPERLINK(\"http://evil\")", "보안팀");
        using var client = await SignedInAsync("csv-desk@filevault.test", Roles.DeskStaff);

        var response = await client.GetAsync("/desk/export/devices.csv?search=CSVL-&sort=AssetTag");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/csv; charset=utf-8", response.Content.Headers.ContentType!.ToString());
        var disposition = response.Content.Headers.ContentDisposition!;
        Assert.Equal("attachment", disposition.DispositionType);
        Assert.StartsWith("장비목록_", disposition.FileNameStar, StringComparison.Ordinal);
        Assert.EndsWith(".csv", disposition.FileNameStar, StringComparison.Ordinal);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal((byte[])[0xEF, 0xBB, 0xBF], bytes[..3]);

        var rows = Read(bytes, "자산 태그", "대여자", "부서", "상태");
        Assert.Equal(
            [
                ["CSVL-1", "김민수", "영업부", "대여 중"],
                ["CSVL-2", "'=HYPERLINK(\"http://evil\")", "보안팀", "대여 중"],
            ],
            rows);
    }

    [Fact]
    public async Task Usage_report_exports_per_borrower_and_refuses_a_backwards_range()
    {
        await SeedAsync("CSV-10", "이영희", "개발팀");
        using var client = await SignedInAsync("csv-report@filevault.test", Roles.DeskStaff);
        var today = DateOnly.FromDateTime(DateTime.Now);
        var from = today.AddDays(-1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
        var to = today.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);

        var response = await client.GetAsync($"/desk/export/report.csv?from={from}&to={to}&by=borrower");
        var backwards = await client.GetAsync($"/desk/export/report.csv?from={to}&to={from}");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var rows = Read(await response.Content.ReadAsByteArrayAsync(), "대여자", "부서", "대여 횟수", "지연 횟수");
        Assert.Contains(["이영희", "개발팀", "1", "0"], rows);
        Assert.Equal(HttpStatusCode.BadRequest, backwards.StatusCode);
        Assert.Contains("report.range_invalid", await backwards.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exported_times_are_on_the_clock_of_the_readers_zone_and_an_unknown_zone_is_refused()
    {
        await SeedAsync("CSVTZ-1", "최유진", "총무팀");
        using var client = await SignedInAsync("csv-tz@filevault.test", Roles.DeskStaff);

        async Task<DateTime> StartedAsync(string tz)
        {
            var response = await client.GetAsync("/desk/export/devices.csv?search=CSVTZ-1" + tz);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var due = Read(await response.Content.ReadAsByteArrayAsync(), "반납 예정").Single()[0];
            return DateTime.ParseExact(due, "yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture);
        }

        var seoul = await StartedAsync("&tz=Asia%2FSeoul");
        var utc = await StartedAsync("");
        var unknown = await client.GetAsync("/desk/export/report.csv?from=2026-03-01&to=2026-03-02&tz=Mars%2FOlympus");

        Assert.Equal(TimeSpan.FromHours(9), seoul - utc);
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        Assert.Contains("timezone.unknown", await unknown.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Plain_users_cannot_download_desk_lists()
    {
        using var client = await SignedInAsync("csv-user@filevault.test", Roles.User);

        var response = await client.GetAsync("/desk/export/devices.csv");
        var mine = await client.GetAsync("/devices/export/my-rentals.csv");

        Assert.NotEqual(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, mine.StatusCode);
    }

    private static List<string[]> Read(byte[] csv, params string[] columns)
    {
        using var reader = CsvReader.Create(csv, new CsvReaderOptions { Separator = ',' });
        var rows = new List<string[]>();
        while (reader.Read())
        {
            rows.Add(columns.Select(reader.GetString).ToArray());
        }

        return rows;
    }

    private async Task SeedAsync(string tag, string borrower, string department)
    {
        await app.WaitUntilReadyAsync();
        var desk = app.Services.GetRequiredService<DeskService>();
        var registered = await desk.RegisterAsync(Admin, new DeviceInput(tag, "Samsung", "Galaxy S24", "Android", "14", null, null, null), default);
        Assert.True(registered.IsSuccess, registered.Error?.ToString());
        var rental = await desk.CheckOutAsync(Admin, new CheckOutRequest(tag, new Borrower(null, borrower, department), "출장", DateTimeOffset.UtcNow.AddDays(3)), default);
        Assert.True(rental.IsSuccess, rental.Error?.ToString());
    }

    private async Task<HttpClient> SignedInAsync(string email, string role)
    {
        await app.CreateUserAsync(email, role);
        var client = app.CreateBrowserLikeClient("ko-KR,ko;q=0.9");
        var signIn = await FileVaultAppFactory.PostSignInAsync(client, email, FileVaultAppFactory.UserPassword);
        Assert.Equal(HttpStatusCode.Redirect, signIn.StatusCode);
        return client;
    }
}
