using System.Globalization;
using System.Security.Claims;
using Bunit;
using FileVault.Core.Access;
using FileVault.Web.Components.Layout;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.Extensions.DependencyInjection;
using MudBlazor.Services;

namespace FileVault.Tests.Components;

/// <summary>The drawer shows what the user's roles allow, through the app's real policies.</summary>
public sealed class NavMenuTests : BunitContext
{
    public NavMenuTests()
    {
        Services.AddMudServices();
        Services.AddLocalization();
        Services.AddAuthorizationBuilder().AddFileVaultPolicies();
        // Replace bUnit's placeholder so the real policies decide.
        Services.AddSingleton<IAuthorizationService, DefaultAuthorizationService>();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    [Theory]
    [InlineData(new[] { Roles.User }, new[] { "/files", "/search", "/trash", "/jobs", "/devices" })]
    [InlineData(new[] { Roles.DeskStaff }, new[] { "/devices" })]
    [InlineData(new[] { Roles.User, Roles.DeskStaff }, new[] { "/files", "/search", "/trash", "/jobs", "/devices" })]
    [InlineData(new[] { Roles.Admin }, new[] { "/files", "/search", "/trash", "/jobs", "/devices", "/admin" })]
    [InlineData(new[] { Roles.SuperAdmin }, new[] { "/files", "/search", "/trash", "/jobs", "/devices", "/admin" })]
    public void Shows_exactly_the_sections_the_roles_allow(string[] roles, string[] expectedLinks)
    {
        var menu = RenderFor(roles);

        var links = menu.FindAll("a").Select(a => a.GetAttribute("href")).ToArray();
        Assert.Equal(expectedLinks, links);
    }

    [Fact]
    public void Labels_are_korean_for_a_korean_culture()
    {
        var previous = CultureInfo.CurrentUICulture;
        CultureInfo.CurrentUICulture = new CultureInfo("ko-KR");
        try
        {
            var menu = RenderFor([Roles.Admin]);

            var labels = menu.FindAll("a").Select(a => a.TextContent.Trim()).ToArray();
            Assert.Equal(["파일", "검색", "휴지통", "작업", "장비 대여", "관리"], labels);
        }
        finally
        {
            CultureInfo.CurrentUICulture = previous;
        }
    }

    private IRenderedComponent<CascadingAuthenticationState> RenderFor(string[] roles)
    {
        var identity = new ClaimsIdentity(
            roles.Select(r => new Claim(ClaimTypes.Role, r)).Append(new Claim(ClaimTypes.Name, "someone@corp.test")),
            authenticationType: "Test");
        Services.AddSingleton<AuthenticationStateProvider>(new FixedAuthenticationStateProvider(new ClaimsPrincipal(identity)));
        return Render<CascadingAuthenticationState>(parameters => parameters.AddChildContent<NavMenu>());
    }

    private sealed class FixedAuthenticationStateProvider(ClaimsPrincipal user) : AuthenticationStateProvider
    {
        public override Task<AuthenticationState> GetAuthenticationStateAsync() => Task.FromResult(new AuthenticationState(user));
    }
}
