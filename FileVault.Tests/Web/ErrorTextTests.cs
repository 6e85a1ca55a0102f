using System.Globalization;
using FileVault.Core;
using FileVault.Web;
using FileVault.Web.Components.Shared;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Localization;

namespace FileVault.Tests.Web;

/// <summary>Errors as the pages say them, from the real resource files: a lock conflict names the operation and who holds it.</summary>
public sealed class ErrorTextTests : IDisposable
{
    private readonly CultureInfo _previous = CultureInfo.CurrentUICulture;
    private readonly ServiceProvider _services = new ServiceCollection().AddLogging().AddLocalization().BuildServiceProvider();

    public void Dispose()
    {
        CultureInfo.CurrentUICulture = _previous;
        _services.Dispose();
    }

    [Theory]
    [InlineData("ko-KR", "kim@corp 님의 이동 작업이 사용 중이라 아무것도 바꾸지 않았습니다. 끝난 뒤 다시 시도하세요.")]
    [InlineData("en-US", "In use by Move of kim@corp; nothing was changed. Try again when it is done.")]
    public void A_lock_conflict_says_which_operation_of_whom_holds_the_items(string culture, string expected)
    {
        CultureInfo.CurrentUICulture = new CultureInfo(culture);

        var text = Localizer.Describe(new Error("lock.conflict", "In use by move of kim@corp.", ["move", "kim@corp"]));

        Assert.Equal(expected, text);
    }

    [Fact]
    public void An_error_without_the_values_its_text_needs_falls_back_to_its_own_message()
    {
        CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");

        Assert.Equal("In use by move of kim@corp.", Localizer.Describe(new Error("lock.conflict", "In use by move of kim@corp.")));
        Assert.Equal("요청이 거부되었습니다 (no.such_code).", Localizer.ErrorText(new Error("no.such_code", "x")));
    }

    private IStringLocalizer<SharedResource> Localizer => _services.GetRequiredService<IStringLocalizer<SharedResource>>();
}
