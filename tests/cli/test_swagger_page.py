"""The ``/swagger/`` page in headless Chromium: an operation that replaces containers asks first.

Against the real ``watchtower`` command and a real engine and registry: a
dismissed confirmation sends nothing (the container keeps its id, and no
run is on record), an accepted one runs the update.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support.api_process import TOKEN, serving
from tests.support.e2e_fixtures import Images, Names

pytestmark = pytest.mark.e2e


def test_try_it_on_update_asks_first_and_cancel_sends_nothing(
    browser: Any,
    dockerd: Any,
    docker_api: Any,
    e2e_images: Images,
    e2e_names: Names,
    tmp_path: Path,
) -> None:
    import requests
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ready
    from selenium.webdriver.support.ui import WebDriverWait

    name = e2e_names("web")
    reference = e2e_images.publish(e2e_names("swagger"), "v1")
    created = docker_api.create_container(
        reference, name=name, host_config=docker_api.create_host_config(network_mode="none")
    )
    docker_api.start(created["Id"])
    e2e_images.publish(e2e_names("swagger"), "v2")
    old_id = docker_api.inspect_container(name)["Id"]

    with serving(dockerd.url, tmp_path, [name]) as (_, url):
        browser.get(f"{url}/swagger/")
        wait = WebDriverWait(browser, 30)
        section = wait.until(
            ready.presence_of_element_located(
                (By.CSS_SELECTOR, 'section[data-operation="post_v1_update"]')
            )
        )
        browser.find_element(By.ID, "api-token").send_keys(TOKEN)
        section.find_element(By.CSS_SELECTOR, "input[name=container]").send_keys(name)
        output = section.find_element(By.CSS_SELECTOR, "pre.output")
        go = section.find_element(By.CSS_SELECTOR, "button[type=submit]")

        go.click()
        alert = wait.until(ready.alert_is_present())
        assert "replaces every watched container whose image is newer" in alert.text
        assert f"POST /v1/update?container={name}" in alert.text
        alert.dismiss()
        wait.until(lambda _: output.text == "Not sent.")
        # Nothing ran: the container is the same one, and the API has no run on record.
        assert docker_api.inspect_container(name)["Id"] == old_id
        status = requests.get(
            f"{url}/v1/status", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
        )
        assert status.status_code == 204

        # A read-only operation asks nothing.
        listing = browser.find_element(
            By.CSS_SELECTOR, 'section[data-operation="get_v1_containers"]'
        )
        listing.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
        listed = listing.find_element(By.CSS_SELECTOR, "pre.output")
        WebDriverWait(browser, 30).until(lambda _: listed.text.startswith("200"))

        go.click()
        wait.until(ready.alert_is_present()).accept()
        WebDriverWait(browser, 180).until(lambda _: output.text.startswith("200"))
        assert '"updated": 1' in output.text
        assert docker_api.inspect_container(name)["Id"] != old_id
