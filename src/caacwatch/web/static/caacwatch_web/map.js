// caacwatch dashboard map: Leaflet (served from the django-leaflet package) over vector country and
// region boundaries shipped with the app. Nothing comes from the internet unless the operator sets
// CAACWATCH_TILE_URL (then a tile layer is added under the boundaries).
//
// The page gives #incident-map with data-* options; data-points holds the dashboard's located
// incidents as JSON rows [incident, lat, lon, violation, status, place]. Article-derived text
// (place names) only ever reaches the page through textContent or attributes, never as HTML.
(function () {
  "use strict";

  var REGION_ZOOM = 5; // regions (admin-1) are drawn from this zoom on
  var container = document.getElementById("incident-map");
  if (!container || !window.L) {
    return;
  }
  var L = window.L;
  var options = container.dataset;

  function readPoints() {
    var rows;
    try {
      rows = JSON.parse(options.points || "[]");
    } catch (error) {
      return [];
    }
    return rows.map(function (r) {
      return { incident: r[0], lat: r[1], lon: r[2], violation: r[3], status: r[4], name: r[5] };
    });
  }

  function token(value) {
    // A safe class-name fragment for a violation or status code.
    return String(value || "").replace(/[^a-z0-9_-]/gi, "");
  }

  function text(tag, value, className) {
    var node = document.createElement(tag);
    node.textContent = value;
    if (className) {
      node.className = className;
    }
    return node;
  }

  function escapeHtml(value) {
    return String(value).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) {
        throw new Error(url + ": HTTP " + response.status);
      }
      return response.json();
    });
  }

  var tileUrl = options.tileUrl || "";
  var map = L.map(container, {
    minZoom: 1,
    maxZoom: tileUrl ? 18 : 10,
    worldCopyJump: false,
    maxBounds: [[-85, -200], [85, 200]],
    maxBoundsViscosity: 1.0,
    attributionControl: true,
  });
  map.attributionControl.setPrefix(false);
  map.attributionControl.addAttribution("Boundaries: Natural Earth");
  container.classList.add("map-ready");

  if (tileUrl) {
    L.tileLayer(tileUrl, {
      maxZoom: 18,
      referrerPolicy: "strict-origin", // the page's own policy sends none; tile servers often want one
      attribution: escapeHtml(options.tileAttribution || ""),
    }).addTo(map);
    container.classList.add("with-tiles");
  }

  // --- boundaries ------------------------------------------------------------------------------
  map.createPane("regions"); // .leaflet-regions-pane: above the countries (map.css)
  var countryStyle = { className: "country", weight: 0.8, color: "#8a9aa8", fillColor: "#dfe6ec", fillOpacity: tileUrl ? 0 : 1 };
  var regionStyle = { className: "region", weight: 0.6, color: "#9aaab8", dashArray: "2 3", fill: false };

  getJSON(options.countries).then(function (data) {
    L.geoJSON(data, { style: countryStyle, interactive: false }).addTo(map);
    container.setAttribute("data-countries-loaded", String(data.features.length));
  }).catch(function (error) {
    container.setAttribute("data-map-error", String(error.message || error));
  });

  var regions = null;
  var regionsLoading = false;
  function regionLabel(layer) {
    return text("span", layer.feature.properties.name || "");
  }
  function updateRegions() {
    var wanted = map.getZoom() >= REGION_ZOOM;
    if (wanted && !regions && !regionsLoading && options.admin1) {
      regionsLoading = true;
      getJSON(options.admin1).then(function (data) {
        regions = L.geoJSON(data, { style: regionStyle, pane: "regions", interactive: false });
        container.setAttribute("data-regions-loaded", String(data.features.length));
        updateRegions();
      }).catch(function (error) {
        container.setAttribute("data-map-error", String(error.message || error));
      });
      return;
    }
    if (regions && wanted && !map.hasLayer(regions)) {
      regions.addTo(map);
    } else if (regions && !wanted && map.hasLayer(regions)) {
      map.removeLayer(regions);
    }
  }
  map.on("zoomend", updateRegions);

  // --- incidents -------------------------------------------------------------------------------
  var points = readPoints();
  var base = options.incidentBase || "/incidents/";
  var byPlace = {};
  points.forEach(function (p) {
    var key = p.lat + "," + p.lon;
    (byPlace[key] = byPlace[key] || []).push(p);
  });

  function popupFor(key) {
    var list = byPlace[key];
    var box = document.createElement("div");
    box.className = "map-popup";
    box.appendChild(text("strong", list[0].name || "(unnamed place)"));
    var ul = document.createElement("ul");
    list.forEach(function (p) {
      var li = document.createElement("li");
      var a = text("a", "#" + p.incident + " " + String(p.violation || "").replace(/_/g, " "));
      a.href = base + encodeURIComponent(p.incident);
      a.setAttribute("data-testid", "map-popup-link");
      li.appendChild(a);
      li.appendChild(text("span", " " + String(p.status || "").replace(/_/g, " "), "status status-" + token(p.status)));
      ul.appendChild(li);
    });
    box.appendChild(ul);
    return box;
  }

  var markers = L.layerGroup().addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    if (typeof p.lat !== "number" || typeof p.lon !== "number") {
      return;
    }
    var key = p.lat + "," + p.lon;
    var marker = L.marker([p.lat, p.lon], {
      icon: L.divIcon({
        className: "incident-marker v-" + token(p.violation) + " s-" + token(p.status),
        iconSize: [12, 12],
      }),
      title: "#" + p.incident + " " + String(p.violation || "").replace(/_/g, " ") + " — " + (p.name || ""),
      alt: "Incident " + p.incident,
      riseOnHover: true,
      keyboard: true,
    });
    marker.bindPopup(function () { return popupFor(key); });
    marker.on("add", function () { // the icon exists once the map has a view
      var element = marker.getElement();
      element.setAttribute("data-testid", "map-point");
      element.setAttribute("data-incident", String(p.incident));
    });
    marker.addTo(markers);
    bounds.push([p.lat, p.lon]);
  });
  container.setAttribute("data-markers", String(bounds.length));

  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 5 });
  } else {
    map.setView([15, 20], 2);
  }
  updateRegions();
})();
