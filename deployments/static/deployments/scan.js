/* The verification form on a phone (deployments/verification_form.html).
 *
 * 1. The office select and the "propose a move" box matter only for "found elsewhere", and
 *    the serial, condition and zone only when the device was seen: hide what does not apply.
 *    Without JavaScript everything stays visible and the server sorts it out.
 * 2. "Scan": where the browser has BarcodeDetector, take a photo of the label with the camera
 *    and put the barcode's value into the serial box. Elsewhere the button stays hidden; typing
 *    always works.
 * No library, no network: the photo never leaves the phone.
 */
(function () {
  "use strict";
  var form = document.getElementById("verification-form");
  if (!form) {
    return;
  }

  var whenElsewhere = form.querySelectorAll("[data-when-elsewhere]");
  var whenSeen = form.querySelectorAll("[data-when-seen]");
  function outcome() {
    var checked = form.querySelector("input[name=outcome]:checked");
    return checked ? checked.value : "";
  }
  function sync() {
    var value = outcome();
    whenElsewhere.forEach(function (element) {
      element.hidden = value !== "found_elsewhere";
    });
    whenSeen.forEach(function (element) {
      element.hidden = value === "not_found";
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "outcome") {
      sync();
    }
  });
  sync();

  var button = document.getElementById("scan-serial");
  var picker = document.getElementById("scan-photo");
  var status = document.getElementById("scan-status");
  if (!button || !picker || !("BarcodeDetector" in window) || !window.createImageBitmap) {
    return;
  }
  var input = document.getElementById(button.dataset.target);
  if (!input) {
    return;
  }
  var detector;
  try {
    detector = new window.BarcodeDetector();
  } catch (error) {
    return; // no barcode format supported on this device
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    picker.click();
  });
  picker.addEventListener("change", function () {
    var file = picker.files && picker.files[0];
    if (!file) {
      return;
    }
    status.textContent = button.dataset.reading;
    createImageBitmap(file)
      .then(function (bitmap) {
        return detector.detect(bitmap);
      })
      .then(function (codes) {
        if (codes.length) {
          input.value = codes[0].rawValue.trim();
          status.textContent = button.dataset.done;
          input.focus();
        } else {
          status.textContent = button.dataset.none;
        }
      })
      .catch(function () {
        status.textContent = button.dataset.failed;
      })
      .then(function () {
        picker.value = "";
      });
  });
})();
