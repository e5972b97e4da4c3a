from deployments.act_urls import urlpatterns as act_urlpatterns
from deployments.plan_urls import urlpatterns as plan_urlpatterns
from deployments.transfer_urls import urlpatterns as transfer_urlpatterns

urlpatterns = [*transfer_urlpatterns, *act_urlpatterns, *plan_urlpatterns]
