from django.contrib import admin

from clearinghouse.cooperation.models import ReviewerProfile


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "country", "organization", "active")
    list_filter = ("active", "country")
    search_fields = ("user__username", "organization")
