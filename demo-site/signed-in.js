// The sign-in popup's last page closes its window. Browsers let a script close only a window
// that a script opened (the widget's popup); in a tab the user opened, close() does nothing and
// the page's text tells the user to close it.
window.close();
