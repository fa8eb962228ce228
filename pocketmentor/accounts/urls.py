from django.contrib.auth import views as auth_views
from django.urls import path

from pocketmentor.accounts import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.link, name="link"),
    path("login/new/", views.request_link, name="request_link"),
    path(
        "login/staff/",
        auth_views.LoginView.as_view(template_name="accounts/staff_login.html"),
        name="staff_login",
    ),
    path("logout/", views.sign_out, name="logout"),
    path("language/", views.language, name="language"),
]
